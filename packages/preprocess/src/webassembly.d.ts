/**
 * The slice of the WebAssembly JS API this package uses. lib "es2023" and @types/node do not declare
 * the WebAssembly namespace; consumers get the full declarations from lib.dom or the Workers runtime
 * types, so this file only serves the package's own typecheck (it is not imported by any module).
 */
declare namespace WebAssembly {
  interface Module {
    readonly __wasmModule?: never
  }
  var Module: {
    prototype: Module
    new (bytes: ArrayBufferView | ArrayBuffer): Module
  }
  function compile(bytes: ArrayBufferView | ArrayBuffer): Promise<Module>
  interface Memory {
    readonly buffer: ArrayBuffer
  }
  type ImportValue = ((...args: never[]) => unknown) | Memory | number
  type Imports = Record<string, Record<string, ImportValue>>
  interface Instance {
    readonly exports: Record<string, unknown>
  }
  var Instance: {
    prototype: Instance
    new (module: Module, imports?: Imports): Instance
  }
}
