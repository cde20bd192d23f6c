import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs-core'
import * as tfl from '@tensorflow/tfjs-layers'
import { flatAdamKernel, registerWasmTrainingKernels, sharedMemory } from '@whisker/model-core/kernels'
import { buildSeedCnn, TimeDecaySgd, WarmupCosineAdam } from '@whisker/model-core/training'
import { beforeAll, describe, expect, it } from 'vitest'
import { AUGMENT_PRESETS } from '../augment/presets.ts'
import type { LabelledFile } from '../data/dataset.ts'
import type { PixelStore } from '../data/pixel-store.ts'
import { PixelSet } from '../data/pixels.ts'
import { DEFAULTS } from '../paths.ts'
import {
  createParallelStepper,
  inProcessStepper,
  PREDICT_ROWS,
  type TrainStepper,
} from './parallel-trainer.ts'
import { shardGradient, weightLayout } from './shard-gradient.ts'

const SIZE = 40
const NAMES = [
  'cat.0.jpg',
  'cat.1.jpg',
  'cat.100.jpg',
  'dog.0.jpg',
  'dog.1.jpg',
  'dog.100.jpg',
  'cat.101.jpg',
]
const PHOTOS: LabelledFile[] = NAMES.map((name) => ({
  label: name.split('.')[0]!,
  name,
  path: join(DEFAULTS.data, name),
}))
const RECIPE = { kind: 'seed-cnn', classes: 2, seed: 7, size: SIZE } as const

/** The trainer's recipe, augmentation included: each worker augments its own rows of a batch. */
const BATCH = { augment: AUGMENT_PRESETS.strong, scale: 1 / 255 }

describe('data-parallel training across worker threads', () => {
  let photos: PixelStore
  let pixels: tf.Tensor4D
  let ys: tf.Tensor2D
  /** Every photo, in order: the batch each step trains on. */
  const ALL = Int32Array.from(NAMES, (_, i) => i)

  beforeAll(async () => {
    registerWasmTrainingKernels()
    await tf.setBackend('wasm')
    const { set } = await PixelSet.load(PHOTOS, { mode: 'stretch', size: SIZE, filter: 'bilinear' })
    photos = set.store
    pixels = set.batch(ALL)
    ys = tf.oneHot(
      tf.tensor1d(
        NAMES.map((n) => (n.startsWith('cat') ? 0 : 1)),
        'int32',
      ),
      2,
    ) as tf.Tensor2D
  })

  /**
   * Three steps on the photos (an odd batch, so shards differ in size), each batch augmented afresh; the
   * weights and losses after.
   */
  async function train(workers: number | 'in-process', optimiser: 'sgd' | 'adam' = 'sgd') {
    const model = buildSeedCnn(RECIPE)
    // Adam is the default schedule's, stepped in the workers by flat-adam.wat; momentum by the JS loop.
    const schedule =
      optimiser === 'sgd'
        ? new TimeDecaySgd()
        : new WarmupCosineAdam({ learningRate: 1e-3, totalSteps: 10, warmupSteps: 1 })
    model.compile({ optimizer: schedule.optimizer, loss: 'categoricalCrossentropy', metrics: ['accuracy'] })
    const stepper: TrainStepper =
      workers === 'in-process'
        ? inProcessStepper(model, BATCH, photos)
        : await createParallelStepper(model, schedule, {
            recipe: RECIPE,
            batch: BATCH,
            backend: 'wasm',
            workers,
            batchSize: 8,
            photos,
          })
    const results: [number, number][] = []
    try {
      for (let step = 0; step < 3; step++) {
        schedule.nextRate()
        results.push(await stepper.step({ rows: ALL, labels: ys, seed: step }))
      }
      await stepper.settle()
    } finally {
      stepper.dispose()
    }
    const layout = weightLayout(model)
    const weights = new Float32Array(layout.total)
    layout.write(model, weights)
    // What a checkpoint stores of the optimiser: iterations, then one accumulator per weight.
    const optimizer = (await schedule.optimizer.getWeights()).map(({ tensor }) =>
      Array.from(tensor.dataSync()),
    )
    model.dispose()
    schedule.optimizer.dispose()
    return { weights, results, optimizer }
  }

  it('takes, with one worker, the steps trainOnBatch takes in this thread, bit for bit, and leaves the same optimiser state', async () => {
    const inProcess = await train('in-process')
    const oneWorker = await train(1)
    expect(oneWorker.results).toEqual(inProcess.results)
    expect(oneWorker.weights).toEqual(inProcess.weights)
    expect(oneWorker.optimizer).toEqual(inProcess.optimizer)
    expect(oneWorker.optimizer[0]).toEqual([3])
  })

  it("takes, with one worker, Adam's steps as trainOnBatch does, bit for bit, with the SIMD kernel", async () => {
    const inProcess = await train('in-process', 'adam')
    const oneWorker = await train(1, 'adam')
    expect(oneWorker.results).toEqual(inProcess.results)
    expect(oneWorker.weights).toEqual(inProcess.weights)
    expect(oneWorker.optimizer).toEqual(inProcess.optimizer)
    expect(flatAdamKernel(sharedMemory(4))).toBeDefined()
  })

  it('gives the same weights every time for a seed and a worker count', async () => {
    const first = await train(3)
    const again = await train(3)
    expect(again.weights).toEqual(first.weights)
    expect(again.results).toEqual(first.results)
    // Other workers draw other dropout masks: a different, equally valid run.
    expect((await train(2)).weights).not.toEqual(first.weights)
    for (const [loss, accuracy] of first.results) {
      expect(loss).toBeGreaterThan(0)
      expect(accuracy).toBeGreaterThanOrEqual(0)
      expect(accuracy).toBeLessThanOrEqual(1)
    }
  })

  it('answers photos on the workers as the settled model answers them in this thread, round by round', async () => {
    const model = buildSeedCnn(RECIPE)
    const sgd = new TimeDecaySgd()
    model.compile({ optimizer: sgd.optimizer, loss: 'categoricalCrossentropy', metrics: ['accuracy'] })
    const stepper = await createParallelStepper(model, sgd, {
      recipe: RECIPE,
      batch: BATCH,
      backend: 'wasm',
      workers: 2,
      batchSize: 3,
      photos,
    })
    try {
      // More photos than a round holds: answered round by round, the last one partly filled.
      const many = tf.concat(Array.from({ length: Math.ceil(PREDICT_ROWS / NAMES.length) + 1 }, () => pixels))
      const before = await stepper.predict(many)
      expect(before).toEqual(await inProcessStepper(model, BATCH, photos).predict(many))
      for (let step = 0; step < 2; step++) {
        sgd.nextRate()
        const three = { rows: ALL.subarray(0, 3), labels: tf.slice(ys, 0, 3), seed: step }
        await stepper.step(three)
        three.labels.dispose()
      }
      // Without settling, the workers answer with the weights of both steps; the model has neither yet.
      const after = await stepper.predict(many)
      expect(after).not.toEqual(before)
      await stepper.settle()
      expect(after).toEqual(await inProcessStepper(model, BATCH, photos).predict(many))
      expect(after).toHaveLength(many.shape[0] * 2)
      many.dispose()
    } finally {
      stepper.dispose()
      model.dispose()
      sgd.optimizer.dispose()
    }
  })

  it("adds the shards' gradients and losses up to the whole batch's (a network without dropout)", () => {
    const model = tfl.sequential({
      layers: [
        tfl.layers.conv2d({ inputShape: [SIZE, SIZE, 3], filters: 4, kernelSize: 3, activation: 'relu' }),
        tfl.layers.maxPooling2d({ poolSize: 2 }),
        tfl.layers.flatten(),
        tfl.layers.dense({ units: 2, activation: 'softmax' }),
      ],
    })
    const layout = weightLayout(model)
    const xs = tf.div(pixels, 255) as tf.Tensor4D
    const labels = ys.dataSync() as Float32Array
    const gradient = (first: number, count: number) => {
      const into = new Float32Array(layout.total)
      const rows = tf.slice(xs, [first, 0, 0, 0], [count, -1, -1, -1])
      const shard = shardGradient(
        model,
        rows,
        labels.subarray(first * 2, (first + count) * 2),
        NAMES.length,
        into,
      )
      rows.dispose()
      return { ...shard, into }
    }
    const whole = gradient(0, 7)
    const [a, b] = [gradient(0, 4), gradient(4, 3)]
    expect(a.loss + b.loss).toBeCloseTo(whole.loss, 5)
    expect(a.correct + b.correct).toBe(whole.correct)
    const scale = Math.max(...whole.into.map(Math.abs))
    for (let i = 0; i < layout.total; i++) {
      expect(Math.abs(a.into[i]! + b.into[i]! - whole.into[i]!)).toBeLessThan(1e-5 * scale)
    }
    // And the whole batch's loss is trainOnBatch's: Keras' clipped categorical cross-entropy, mean over rows.
    model.compile({ optimizer: tf.train.sgd(0), loss: 'categoricalCrossentropy' })
    const evaluated = model.evaluate(xs, ys) as tf.Scalar
    expect(whole.loss).toBeCloseTo(evaluated.dataSync()[0]!, 5)
    xs.dispose()
    model.dispose()
  })
})
