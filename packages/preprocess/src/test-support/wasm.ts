import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { createWasmDecoder, WASM_FILES, type WasmModules } from '../decode/workers.ts'
import type { ImageDecoder } from '../types.ts'

const require = createRequire(import.meta.url)

/** Compiles the codec binaries from node_modules, as a bundler would hand them to the Worker. */
export async function compileWasmModules(): Promise<Required<WasmModules>> {
  const compile = (specifier: string) => WebAssembly.compile(readFileSync(require.resolve(specifier)))
  const [jpeg, png, webp] = await Promise.all([
    compile(WASM_FILES.jpeg),
    compile(WASM_FILES.png),
    compile(WASM_FILES.webp),
  ])
  return { jpeg, png, webp }
}

let decoder: Promise<ImageDecoder> | undefined

/** One shared wasm decoder per test file (the codecs are process-global anyway). */
export function wasmDecoder(): Promise<ImageDecoder> {
  decoder ??= compileWasmModules().then(createWasmDecoder)
  return decoder
}
