/**
 * Whether a Content-Security-Policy lets the page compile WebAssembly. A policy with `script-src` (or,
 * without one, `default-src`) and neither `'wasm-unsafe-eval'` nor `'unsafe-eval'` forbids it, and trying
 * anyway logs a CSP violation; the on-device mode then runs tfjs on its pure-JS backend instead.
 * Several policies (a comma-joined header) must all allow it. No policy allows everything.
 */
export function cspAllowsWasm(header: string | null | undefined): boolean {
  if (!header) return true
  return header.split(',').every((policy) => {
    const directives = new Map<string, string[]>()
    for (const directive of policy.split(';')) {
      const [name, ...values] = directive.trim().split(/\s+/)
      if (name && !directives.has(name.toLowerCase())) directives.set(name.toLowerCase(), values)
    }
    const scripts = directives.get('script-src') ?? directives.get('default-src')
    if (scripts === undefined) return true
    return scripts.some((value) => {
      const source = value.toLowerCase()
      return source === "'wasm-unsafe-eval'" || source === "'unsafe-eval'"
    })
  })
}
