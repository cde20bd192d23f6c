// wasm-bindgen ships a .d.ts beside this binary describing its *instance* exports; wrangler and the Vitest
// plugin import it as a compiled WebAssembly.Module instead (the `*.wasm` rule), so say that here.
declare module '@jsquash/png/codec/pkg/squoosh_png_bg.wasm' {
  const module: WebAssembly.Module
  export default module
}
