import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { WASM_FILES } from './wasm-files.ts'
import type { WasmModules } from './workers.ts'

// Resolved from this package, which depends on the codecs: a caller need not list them itself.
const require = createRequire(import.meta.url)

/**
 * The codec binaries from node_modules, compiled in Node as wrangler compiles them for the Worker: how the
 * tests and the bench run the Worker's decode path in Node (workerd itself gets them as module imports).
 */
export async function compileWasmModules(): Promise<Required<WasmModules>> {
  const compile = (specifier: string) => WebAssembly.compile(readFileSync(require.resolve(specifier)))
  const [jpeg, png, webp] = await Promise.all([
    compile(WASM_FILES.jpeg),
    compile(WASM_FILES.png),
    compile(WASM_FILES.webp),
  ])
  return { jpeg, png, webp }
}
