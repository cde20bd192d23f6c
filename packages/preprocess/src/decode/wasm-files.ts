/**
 * The codec binaries the wasm decoder needs, as module specifiers a bundler resolves from
 * node_modules. The decoder never loads them itself (workerd forbids compiling wasm from bytes at
 * runtime and has no filesystem): the host imports them and passes the compiled modules in.
 *
 * - wrangler (Workers): `import jpeg from '@cwasm/jpeg-turbo/jpeg-turbo.wasm'` — wrangler's
 *   default CompiledWasm rule makes the default export a WebAssembly.Module.
 * - Vite (browser): `import jpegUrl from '@cwasm/jpeg-turbo/jpeg-turbo.wasm?url'`, then
 *   `await WebAssembly.compileStreaming(fetch(jpegUrl))`.
 * - Node (tests, tools): `compileWasmModules()` of `@whisker/preprocess/node-wasm`, which compiles each with
 *   `WebAssembly.compile(readFileSync(require.resolve(specifier)))`.
 */
export const WASM_FILES = {
  jpeg: '@cwasm/jpeg-turbo/jpeg-turbo.wasm',
  png: '@jsquash/png/codec/pkg/squoosh_png_bg.wasm',
  webp: '@jsquash/webp/codec/dec/webp_dec.wasm',
} as const
