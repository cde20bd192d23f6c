import { compileWasmModules } from '../decode/compile-wasm.ts'
import { createWasmDecoder } from '../decode/workers.ts'
import type { ImageDecoder } from '../types.ts'

let decoder: Promise<ImageDecoder> | undefined

/** One shared wasm decoder per test file (the codecs are process-global anyway). */
export function wasmDecoder(): Promise<ImageDecoder> {
  decoder ??= compileWasmModules().then(createWasmDecoder)
  return decoder
}
