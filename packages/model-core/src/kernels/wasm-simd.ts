/**
 * Whisker's own wasm SIMD kernels (the .wat files here, assembled into wasm-kernels.generated.ts), run on the
 * tfjs wasm backend's linear memory: each module imports that memory, so a kernel reads its inputs and writes
 * its output where tfjs keeps the tensors, with no copies in or out. The one exception, flat-adam.wat, imports
 * a shared memory of its caller's instead: the trainer's workers keep their weights there. Written by hand
 * only where measurement showed the backend's own kernels slow (each .wat and its caller say by how much).
 * The matrix kernels come in two builds, the fused twin (relaxed SIMD) preferred where the engine validates it.
 *
 * Where they cannot run they are simply absent and callers use their XNNPACK or JS formulation: an engine
 * without wasm SIMD, or the threaded build of the backend (its memory is shared, which these modules do not
 * declare).
 */
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm'
import {
  CONV2D_WASM,
  CONV2D_WASM_FUSED,
  FILTER_GRADIENT_WASM,
  FILTER_GRADIENT_WASM_FUSED,
  FLAT_ADAM_WASM,
  MAX_POOL_GRAD_WASM,
} from './wasm-kernels.generated.ts'

/** conv2d.wat's export; addresses in bytes on the backend's heap (see the .wat for the layout). */
export interface Conv2DKernel {
  conv2d(
    x: number,
    w: number,
    y: number,
    rows: number,
    ho: number,
    wo: number,
    hp: number,
    wp: number,
    ci: number,
    co: number,
    kh: number,
    kw: number,
    sh: number,
    sw: number,
  ): void
}

/** filter-gradient.wat's export; addresses in bytes on the backend's heap (see the .wat for the layout). */
export interface FilterGradientKernel {
  dfilter(
    x: number,
    dy: number,
    dw: number,
    rows: number,
    ho: number,
    wo: number,
    wp: number,
    hp: number,
    ci: number,
    co: number,
    kh: number,
    mr: number,
    sh: number,
    sw: number,
    chunk: number,
  ): void
}

/** max-pool-grad.wat's export; addresses in bytes on the backend's heap (see the .wat for the layout). */
export interface MaxPoolGradKernel {
  maxpool2grad(
    x: number,
    dy: number,
    dx: number,
    n: number,
    h: number,
    w: number,
    c: number,
    ho: number,
    wo: number,
  ): void
}

/** flat-adam.wat's exports; addresses in bytes on the shared memory it is bound to (see the .wat). */
export interface FlatAdamKernel {
  add(dst: number, src: number, n: number): void
  adam(
    g: number,
    m: number,
    v: number,
    w: number,
    n: number,
    beta1: number,
    beta2: number,
    oneMinusBeta1: number,
    oneMinusBeta2: number,
    epsilon: number,
    bias1: number,
    bias2: number,
    minusRate: number,
  ): void
}

/** The filter-gradient kernel bound to this backend's memory, or undefined where it cannot run. */
export const filterGradientKernel = binder<FilterGradientKernel>(
  FILTER_GRADIENT_WASM_FUSED,
  FILTER_GRADIENT_WASM,
)

/** The convolution kernel bound to this backend's memory, or undefined where it cannot run. */
export const conv2dKernel = binder<Conv2DKernel>(CONV2D_WASM_FUSED, CONV2D_WASM)

/** The 2×2/2 max-pool gradient kernel bound to this backend's memory, or undefined where it cannot run. */
export const maxPoolGradKernel = binder<MaxPoolGradKernel>(MAX_POOL_GRAD_WASM)

/** A wasm page: memories grow in these. */
const PAGE = 65536

/**
 * A shared `WebAssembly.Memory`: its buffer is a SharedArrayBuffer, and typed arrays over it are what
 * `flatAdamKernel` reads and writes, at their byte offsets. It can be posted to worker threads.
 */
export interface SharedWasmMemory {
  readonly buffer: SharedArrayBuffer
}

/** A shared memory of at least `bytes` bytes, for `flatAdamKernel`. */
export function sharedMemory(bytes: number): SharedWasmMemory {
  const pages = Math.max(1, Math.ceil(bytes / PAGE))
  return new wasmApi.Memory({ initial: pages, maximum: pages, shared: true })
}

/**
 * Adam over flat arrays bound to `memory`, a shared `WebAssembly.Memory` holding them (not a backend's), or
 * undefined where it cannot run (no wasm SIMD, or a memory that is not shared).
 */
export const flatAdamKernel: (memory: SharedWasmMemory) => FlatAdamKernel | undefined =
  memoryBinder<FlatAdamKernel>(FLAT_ADAM_WASM)

/**
 * Which build of Whisker's SIMD kernels runs on this backend: `fused` (relaxed SIMD, one instruction per
 * multiply-add), `plain` (wasm SIMD), or `none` (the kernels' XNNPACK and JS formulations run instead).
 */
export type SimdKernelBuild = 'fused' | 'plain' | 'none'

export function simdKernelBuild(backend: BackendWasm): SimdKernelBuild {
  if (filterGradientKernel(backend) === undefined) return 'none'
  return wasmApi.validate(decode(FILTER_GRADIENT_WASM_FUSED)) ? 'fused' : 'plain'
}

const decode = (base64: string): Uint8Array => Uint8Array.from(atob(base64), (c) => c.charCodeAt(0))

/** The byte address of a tensor's data on the backend's heap, as the kernels take it. */
export const heapOffset = (backend: BackendWasm, t: { dataId: object }): number =>
  backend.dataIdMap.get(t.dataId)!.memoryOffset

/**
 * The part of the WebAssembly JS API used here, typed by hand: the project's TypeScript lib (es2023, no DOM)
 * does not declare it, though every engine Whisker runs on has it.
 */
interface WebAssemblyApi {
  Memory: new (descriptor: { initial: number; maximum: number; shared: true }) => SharedWasmMemory
  Module: new (bytes: Uint8Array) => object
  Instance: new (module: object, imports: Record<string, Record<string, object>>) => { exports: object }
  validate(bytes: Uint8Array): boolean
}
const wasmApi = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly

/**
 * A function from backend to the module's exports, bound to that backend's memory (see `memoryBinder`).
 */
function binder<Exports>(...candidates: string[]): (backend: BackendWasm) => Exports | undefined {
  const bind = memoryBinder<Exports>(...candidates)
  return (backend) => bind((backend.wasm as { asm?: { memory?: unknown } }).asm?.memory)
}

/**
 * A function from memory to the module's exports, bound to that memory: the first of the candidate modules
 * (base64, best first) that this engine validates, compiled once, on first use, and instantiated once per
 * memory.
 */
function memoryBinder<Exports>(...candidates: string[]): (memory: unknown) => Exports | undefined {
  let compiled: object | null | undefined
  const instances = new WeakMap<object, Exports | null>()
  return (memory) => {
    if (!(memory instanceof wasmApi.Memory)) return undefined
    if (compiled === undefined) {
      const usable = candidates.map(decode).find((bytes) => wasmApi.validate(bytes))
      // Small enough (< 4 KB) for a synchronous compile on a browser's main thread too.
      compiled = usable === undefined ? null : new wasmApi.Module(usable)
    }
    if (compiled === null) return undefined
    let exports = instances.get(memory)
    if (exports === undefined) {
      try {
        exports = new wasmApi.Instance(compiled, { env: { memory } }).exports as Exports
      } catch {
        // A shared (threaded) memory does not link against an unshared import, nor an unshared one against
        // a shared import.
        exports = null
      }
      instances.set(memory, exports)
    }
    return exports ?? undefined
  }
}
