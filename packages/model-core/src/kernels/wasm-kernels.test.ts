import { readFile } from 'node:fs/promises'
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm'
import '@tensorflow/tfjs-backend-cpu'
import '@tensorflow/tfjs-backend-wasm'
import * as tf from '@tensorflow/tfjs-core'
import { describe, expect, it } from 'vitest'
import { fuse, GENERATED, generateKernelModule } from '../../scripts/wasm-kernels.ts'
import { wasmSimdKernels } from './index.ts'
import { conv2dKernel, filterGradientKernel, maxPoolGradKernel } from './wasm-simd.ts'

describe('the wasm kernels’ bytes', () => {
  it('are what the .wat sources assemble to now (run `npm run build:wasm` after editing one)', async () => {
    expect(await readFile(GENERATED, 'utf8')).toBe(await generateKernelModule())
  })
})

describe('the fused twin of a kernel', () => {
  it('turns every multiply-add of filter-gradient.wat into one relaxed_madd, and refuses a source with none', async () => {
    const source = await readFile(new URL('filter-gradient.wat', import.meta.url), 'utf8')
    const fused = fuse(source)
    expect(fused.match(/\(f32x4\.relaxed_madd /g)).toHaveLength(8)
    expect(fused).not.toMatch(/\(f32x4\.mul /)
    // Line for line the same module otherwise: only the eight accumulating lines differ.
    const changed = source.split('\n').filter((line, i) => line !== fused.split('\n')[i])
    expect(changed).toHaveLength(8)
    for (const line of changed) expect(line).toMatch(/^\s*\(local\.set \$acc\d \(f32x4\.add /)
    expect(() => fuse('(module)')).toThrow(/no `\(f32x4.add acc/)
  })
})

describe('the wasm kernels on the tfjs wasm backend', () => {
  it('bind to its memory, so the training kernels take their SIMD paths', async () => {
    await tf.setBackend('wasm')
    const backend = tf.backend() as BackendWasm
    expect(filterGradientKernel(backend)).toBeDefined()
    expect(maxPoolGradKernel(backend)).toBeDefined()
    expect(conv2dKernel(backend)).toBeDefined()
    expect(filterGradientKernel(backend)).toBe(filterGradientKernel(backend)) // instantiated once
    expect(wasmSimdKernels()).toBe('fused') // Node 24's V8 has relaxed SIMD
    await tf.setBackend('cpu')
    expect(wasmSimdKernels()).toBeUndefined()
  })
})
