import { BackendWasm } from '@tensorflow/tfjs-backend-wasm' // also registers the wasm kernels
import wasmFactory from '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm.js'
// Wrangler (and the Vitest plugin) turn a `.wasm` import into a compiled WebAssembly.Module. SIMD only:
// workerd's V8 always has wasm SIMD, and each extra binary would add 100-140 KiB gzip to the upload.
import simdBinary from '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-simd.wasm'
import '@tensorflow/tfjs-backend-cpu' // registers the fallback backend
import * as tf from '@tensorflow/tfjs-core'
// Gradients for `?explain=1` (Grad-CAM differentiates the model's head): tfjs-core registers none by itself.
// About 28 KiB minified, 6 KiB gzip; the converter already bundles every op they use.
import '@tensorflow/tfjs-core/dist/register_all_gradients'

export type BackendName = 'wasm' | 'cpu'

/** The parts of the emscripten module the tfjs backend needs that its typings leave out. */
type Cwrap = (name: string, returnType: 'number' | null, argTypes: string[]) => (...args: number[]) => never
type WasmModule = Awaited<ReturnType<typeof wasmFactory>> & { cwrap: Cwrap }

let ready: Promise<BackendName> | undefined

/**
 * Chooses the tfjs backend once per isolate. workerd will not compile WebAssembly from bytes, so the
 * package's own init (fetch + WebAssembly.instantiate(bytes)) fails there; instead the backend is
 * re-registered with the package's emscripten factory and an `instantiateWasm` hook that instantiates the
 * bundled, already-compiled module. If that fails, the pure-JS cpu backend serves (slower, same numbers).
 */
export function initBackend(): Promise<BackendName> {
  ready ??= (async () => {
    tf.enableProdMode() // skips per-op NaN checks and debug bookkeeping on the request path
    tf.removeBackend('wasm') // drops the package's fetch()-based factory
    tf.registerBackend('wasm', createWasmBackend, 3)
    try {
      if (await tf.setBackend('wasm')) return 'wasm'
    } catch {
      // setBackend rejects on some failures and returns false on others; both fall through
    }
    console.warn(JSON.stringify({ level: 'warn', msg: 'tfjs wasm backend failed to initialise; using cpu' }))
    if (!(await tf.setBackend('cpu'))) throw new Error('no tfjs backend could be initialised')
    return 'cpu'
  })()
  return ready
}

async function createWasmBackend(): Promise<BackendWasm> {
  // Where workerd exposes `process` (compatibility_date 2026-10-01 does), emscripten takes its Node path,
  // which reads __dirname; it only needs it to exist.
  const global = globalThis as { __dirname?: string }
  global.__dirname ??= '/'
  // If instantiation fails emscripten never settles its promise; race it so the caller can fall back.
  const { promise: failed, reject: fail } = Promise.withResolvers<never>()
  const factory = wasmFactory({
    instantiateWasm(
      imports: WebAssembly.Imports,
      receive: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void,
    ) {
      WebAssembly.instantiate(simdBinary, imports).then((instance) => receive(instance, simdBinary), fail)
      return {} // emscripten's signal that instantiation is asynchronous
    },
    onAbort: (reason: string) => fail(new Error(`tfjs wasm aborted: ${reason}`)),
  })
  const mod = (await Promise.race([factory, failed])) as WasmModule
  // The same bindings as the package's own init().
  mod.tfjs = {
    init: mod.cwrap('init', null, []),
    initWithThreadsCount: mod.cwrap('init_with_threads_count', null, ['number']),
    getThreadsCount: mod.cwrap('get_threads_count', 'number', []),
    registerTensor: mod.cwrap('register_tensor', null, ['number', 'number', 'number']),
    disposeData: mod.cwrap('dispose_data', null, ['number']),
    dispose: mod.cwrap('dispose', null, []),
  }
  return new BackendWasm(mod)
}

/** Bytes of the tfjs wasm heap (weights and activations; it only grows), or 0 on the cpu backend. */
export function wasmHeapBytes(): number {
  const backend = tf.backend()
  if (!(backend instanceof BackendWasm)) return 0
  // emscripten exports HEAPU8 (the backend itself reads tensors through it); the typings omit it.
  return (backend.wasm as unknown as { HEAPU8: Uint8Array }).HEAPU8.buffer.byteLength
}
