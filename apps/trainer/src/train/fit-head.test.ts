import * as tf from '@tensorflow/tfjs-core'
import '@tensorflow/tfjs-backend-cpu'
import { seededRandom } from '@whisker/preprocess'
import { beforeAll, describe, expect, it } from 'vitest'
import { neverStop, StopRequested, type StopSignal } from '../run/interrupt.ts'
import { type FitOptions, fitHead, type HeadCheckpoint, type HeadData } from './fit-head.ts'

beforeAll(async () => {
  await tf.setBackend('cpu')
})

/** Two Gaussian blobs in 8-D: separable, so a working head learns them in a few epochs. */
function blobs(n: number, seed: number): HeadData {
  const random = seededRandom(seed)
  const x = new Float32Array(n * 8)
  const y = new Int32Array(n)
  for (let i = 0; i < n; i++) {
    y[i] = i % 2
    for (let d = 0; d < 8; d++) x[i * 8 + d] = (y[i] ? 1 : -1) + (random() - 0.5) * 2
  }
  return { x, y }
}

const train = blobs(200, 1)
const val = blobs(60, 2)
const options = (extra: Partial<FitOptions> = {}): FitOptions => ({
  head: { hidden: 8, dropout: 0.2, l2: 1e-4, classes: 2 },
  epochs: 6,
  batchSize: 16,
  learningRate: 0.01,
  patience: 10,
  plateau: 4,
  seed: 7,
  stop: neverStop,
  ...extra,
})

describe('fitHead', () => {
  it('learns separable embeddings and records one history entry per epoch', async () => {
    const { history, head } = await fitHead(train, val, 8, options())
    expect(history.map((h) => h.epoch)).toEqual([1, 2, 3, 4, 5, 6])
    expect(history.at(-1)!.val_acc).toBeGreaterThan(0.9)
    head.dispose()
  })

  it('is reproducible: the same seed gives the same history', async () => {
    const a = await fitHead(train, val, 8, options({ epochs: 3 }))
    const b = await fitHead(train, val, 8, options({ epochs: 3 }))
    expect(a.history.map((h) => h.val_loss)).toEqual(b.history.map((h) => h.val_loss))
  })

  it('stops at an epoch boundary when asked, leaving a checkpoint that a second call resumes from', async () => {
    let saved: HeadCheckpoint | undefined
    let epochs = 0
    const stopAfterTwo: StopSignal = {
      get requested() {
        return epochs >= 2
      },
      checkpoint() {
        if (epochs >= 2) throw new StopRequested()
      },
      dispose() {},
    }
    const interrupted = fitHead(
      train,
      val,
      8,
      options({
        stop: stopAfterTwo,
        onEpoch: (_, checkpoint) => {
          epochs++
          saved = checkpoint
        },
      }),
    )
    await expect(interrupted).rejects.toBeInstanceOf(StopRequested)
    expect(saved?.epoch).toBe(2)

    const resumed = await fitHead(train, val, 8, options({ resumeFrom: saved }))
    expect(resumed.history.map((h) => h.epoch)).toEqual([1, 2, 3, 4, 5, 6])
    expect(resumed.history.slice(0, 2)).toEqual(saved!.history)
    expect(resumed.history.at(-1)!.val_acc).toBeGreaterThan(0.9)
  })
})
