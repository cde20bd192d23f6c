import { readFile } from 'node:fs/promises'
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm'
import '@tensorflow/tfjs-backend-wasm'
import * as tf from '@tensorflow/tfjs-core'
import { describe, expect, it } from 'vitest'
import { GENERATED, generateKernelModule } from '../../scripts/wasm-kernels.ts'
import { filterGradientKernel, maxPoolGradKernel } from './wasm-simd.ts'

describe('the wasm kernels’ bytes', () => {
  it('are what the .wat sources assemble to now (run `npm run build:wasm` after editing one)', async () => {
    expect(await readFile(GENERATED, 'utf8')).toBe(await generateKernelModule())
  })
})

describe('the wasm kernels on the tfjs wasm backend', () => {
  it('bind to its memory, so the training kernels take their SIMD paths', async () => {
    await tf.setBackend('wasm')
    const backend = tf.backend() as BackendWasm
    expect(filterGradientKernel(backend)).toBeDefined()
    expect(maxPoolGradKernel(backend)).toBeDefined()
    expect(filterGradientKernel(backend)).toBe(filterGradientKernel(backend)) // instantiated once
  })
})
