/**
 * Training kernels for the tfjs wasm backend (`@whisker/model-core/kernels`, Node and browsers alike).
 *
 * The wasm backend of tfjs 4.22 cannot train a convolution: it has no `Conv2DBackpropFilter` and no depthwise
 * backprop kernels, and its `Conv2DBackpropInput`, `MaxPoolGrad`, leading-axis `Sum` and transposed
 * `BatchMatMul` are plain loops that dominate a training step once the rest is fast (and its `MaxPoolGrad`
 * drops the gradient of windows whose maximum is ≤ 0). `registerWasmTrainingKernels()` registers kernels
 * for all of them built from what the backend does fast (XNNPACK convolution and fully-connected, plus
 * transposes, pads and reshapes), so `model.fit` on wasm runs at XNNPACK speed. See the README's
 * "Training kernels for wasm" for the maths.
 */
import '@tensorflow/tfjs-backend-wasm' // its kernels are registered first, so the ones replaced here stay replaced
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm'
import * as tf from '@tensorflow/tfjs-core'
import { batchMatMul } from './batch-mat-mul.ts'
import { conv2d } from './conv2d.ts'
import { conv2DBackpropFilterConfig } from './conv2d-backprop-filter.ts'
import { conv2DBackpropInput } from './conv2d-backprop-input.ts'
import { depthwiseBackpropFilterConfig } from './depthwise-backprop-filter.ts'
import { depthwiseBackpropInputConfig } from './depthwise-backprop-input.ts'
import { castToOwnType, identity } from './identity.ts'
import { maxPoolGrad } from './max-pool-grad.ts'
import { type KernelConfig, type Replacement, WASM } from './shared.ts'
import { sumLeadingAxes } from './sum.ts'
import { type SimdKernelBuild, simdKernelBuild } from './wasm-simd.ts'

/**
 * Adam over flat float32 arrays in a shared `WebAssembly.Memory`, four weights at a time, bit for bit as
 * tfjs's Adam rounds: the step the trainer's data-parallel workers take on their ranges of the weights.
 */
export { type FlatAdamKernel, flatAdamKernel, type SharedWasmMemory, sharedMemory } from './wasm-simd.ts'
export type { SimdKernelBuild }

/** Kernels the wasm backend lacks. */
const ADDED: readonly KernelConfig[] = [
  conv2DBackpropFilterConfig,
  depthwiseBackpropFilterConfig,
  depthwiseBackpropInputConfig,
]

/** Built-in kernels replaced because measurement showed them dominating a training step. */
const REPLACED: readonly Replacement[] = [
  conv2DBackpropInput,
  maxPoolGrad,
  sumLeadingAxes,
  batchMatMul,
  identity,
  castToOwnType,
  conv2d,
]

/** What this module registered, by kernel name: a registered config that is one of these is ours. */
const installed = new Map<string, KernelConfig>()

export interface WasmTrainingKernels {
  /** Kernels the backend did not have. */
  added: string[]
  /** Built-in kernels now served by these (falling back to the built-in where a case is not covered). */
  replaced: string[]
}

/** The kernel names this module provides (whether or not they are registered yet). */
export const WASM_TRAINING_KERNELS: WasmTrainingKernels = {
  added: ADDED.map((k) => k.kernelName),
  replaced: REPLACED.map((k) => k.kernelName),
}

/**
 * Registers the training kernels for the `wasm` backend. Idempotent: a second call changes nothing. Works
 * before or after the backend is initialised; it does not select a backend.
 */
export function registerWasmTrainingKernels(): WasmTrainingKernels {
  for (const config of ADDED) install(config)
  for (const replacement of REPLACED) {
    const current = tf.getKernel(replacement.kernelName, WASM)
    if (current !== undefined && current === installed.get(replacement.kernelName)) continue
    if (current === undefined)
      throw new Error(`the wasm backend has no ${replacement.kernelName} kernel to replace`)
    install({
      kernelName: replacement.kernelName,
      backendName: WASM,
      kernelFunc: replacement.make(current.kernelFunc),
      // The built-in kernel still serves the cases the replacement hands back; it needs its own setup.
      ...(current.setupFunc ? { setupFunc: current.setupFunc } : {}),
      ...(current.disposeFunc ? { disposeFunc: current.disposeFunc } : {}),
    })
  }
  return WASM_TRAINING_KERNELS
}

/**
 * Which build of Whisker's own SIMD kernels the active wasm backend runs (`fused`: relaxed SIMD; `plain`: wasm
 * SIMD; `none`: their XNNPACK and JS formulations instead, e.g. on the threaded build or without SIMD).
 * Undefined when the active backend is not wasm.
 */
export function wasmSimdKernels(): SimdKernelBuild | undefined {
  return tf.getBackend() === WASM ? simdKernelBuild(tf.backend() as BackendWasm) : undefined
}

/** Whether the kernels of this module are the ones registered now. */
export function wasmTrainingKernelsRegistered(): boolean {
  return [...ADDED.map((k) => k.kernelName), ...REPLACED.map((k) => k.kernelName)].every(
    (name) => installed.has(name) && tf.getKernel(name, WASM) === installed.get(name),
  )
}

function install(config: KernelConfig): void {
  const current = tf.getKernel(config.kernelName, WASM)
  if (current !== undefined && current === installed.get(config.kernelName)) return
  if (current !== undefined) tf.unregisterKernel(config.kernelName, WASM)
  tf.registerKernel(config)
  installed.set(config.kernelName, config)
}
