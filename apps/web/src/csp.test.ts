import { describe, expect, it } from 'vitest'
import { cspAllowsWasm } from './csp.ts'

describe('cspAllowsWasm', () => {
  it('allows WebAssembly when there is no policy, or one without script-src and default-src', () => {
    expect(cspAllowsWasm(null)).toBe(true)
    expect(cspAllowsWasm('')).toBe(true)
    expect(cspAllowsWasm("img-src 'self'; frame-ancestors 'none'")).toBe(true)
  })

  it("forbids it under script-src 'self' (the Worker's policy today)", () => {
    const worker =
      "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; connect-src 'self'; " +
      "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    expect(cspAllowsWasm(worker)).toBe(false)
  })

  it("allows it with 'wasm-unsafe-eval' or 'unsafe-eval', whatever the case", () => {
    expect(cspAllowsWasm("default-src 'self'; script-src 'self' 'wasm-unsafe-eval'")).toBe(true)
    expect(cspAllowsWasm("script-src 'self' 'UNSAFE-EVAL'")).toBe(true)
  })

  it('falls back on default-src when there is no script-src', () => {
    expect(cspAllowsWasm("default-src 'self'")).toBe(false)
    expect(cspAllowsWasm("default-src 'self' 'wasm-unsafe-eval'")).toBe(true)
  })

  it('uses the first of repeated directives, as browsers do, and needs every policy to allow it', () => {
    expect(cspAllowsWasm("script-src 'self'; script-src 'wasm-unsafe-eval'")).toBe(false)
    expect(cspAllowsWasm("script-src 'wasm-unsafe-eval', script-src 'self'")).toBe(false)
    expect(cspAllowsWasm("script-src 'wasm-unsafe-eval', img-src *")).toBe(true)
  })
})
