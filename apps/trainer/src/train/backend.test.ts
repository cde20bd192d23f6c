import * as tf from '@tensorflow/tfjs-core'
import { describe, expect, it } from 'vitest'
import { BackendUnavailableError, selectBackend } from './backend.ts'

describe('selectBackend', () => {
  it('auto picks the fastest backend that loads here and says why it skipped the others', async () => {
    const report = await selectBackend('auto')
    expect(report.backend).toBe(tf.getBackend())
    const order = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu']
    expect(report.skipped.map((s) => s.choice)).toEqual(order.slice(0, report.skipped.length))
    for (const skipped of report.skipped) expect(skipped.reason).not.toBe('')
  })

  it('activates an explicitly chosen backend', async () => {
    expect((await selectBackend('cpu')).backend).toBe('cpu')
    expect(tf.getBackend()).toBe('cpu')
  })

  it('fails with a typed error when an explicit choice cannot load', async () => {
    const nativeMissing = await import('@tensorflow/tfjs-node' as string).then(
      () => false,
      () => true,
    )
    if (!nativeMissing) return
    await expect(selectBackend('tensorflow')).rejects.toBeInstanceOf(BackendUnavailableError)
  })
})
