import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { CorruptImageError, UnsupportedImageTypeError } from '../errors.ts'
import { rejection } from '../test-support/catch.ts'
import { formatMatrix } from '../test-support/images.ts'
import { compileWasmModules } from './compile-wasm.ts'
import type { WasmModules } from './workers.ts'
import { createWasmDecoder, WASM_FILES } from './workers.ts'

const images = await formatMatrix(48, 32)

describe('createWasmDecoder', () => {
  // workerd has no fs and forbids runtime compilation; a fetch would mean the codec went looking for
  // its .wasm by URL. Every test in this file runs with fetch booby-trapped.
  const fetchSpy = vi.fn(() => Promise.reject(new Error('the wasm decoder must not fetch')))
  let modules: Required<WasmModules>
  beforeAll(async () => {
    vi.stubGlobal('fetch', fetchSpy)
    modules = await compileWasmModules()
  })
  afterAll(() => {
    expect(fetchSpy).not.toHaveBeenCalled()
    vi.unstubAllGlobals()
  })

  it('names its codec binaries as resolvable package paths (for wrangler or Vite imports)', () => {
    const require = createRequire(import.meta.url)
    for (const specifier of Object.values(WASM_FILES))
      expect(existsSync(require.resolve(specifier))).toBe(true)
  })

  it('insists on compiled modules, so the codecs never fall back to fetching by URL', () => {
    const bytes = new Uint8Array([0, 97, 115, 109])
    expect(() => createWasmDecoder({ ...modules, jpeg: undefined as unknown as WebAssembly.Module })).toThrow(
      TypeError,
    )
    expect(() => createWasmDecoder({ ...modules, png: bytes as unknown as WebAssembly.Module })).toThrow(
      /modules.png/,
    )
  })

  it('works without the WebP codec, refusing WebP as UNSUPPORTED_TYPE', async () => {
    const decode = createWasmDecoder({ jpeg: modules.jpeg, png: modules.png })
    expect(await decode(images['JPEG baseline']!)).toMatchObject({ width: 48, height: 32 })
    expect(await rejection(decode(images['WebP lossy']!))).toBeInstanceOf(UnsupportedImageTypeError)
  })

  it('keeps refusing WebP without the codec even after another decoder has loaded it', async () => {
    await createWasmDecoder(modules)(images['WebP lossy']!)
    const withoutWebp = createWasmDecoder({ jpeg: modules.jpeg, png: modules.png })
    expect(await rejection(withoutWebp(images['WebP lossy']!))).toBeInstanceOf(UnsupportedImageTypeError)
  })

  it("reports the codec's own reason when it rejects what the header checks let through", async () => {
    const decode = createWasmDecoder(modules)
    const bytes = images['JPEG baseline']!.slice()
    const dht = bytes.findIndex((b, i) => b === 0xff && bytes[i + 1] === 0xc4)
    bytes.fill(0xff, dht + 5, dht + 21)
    const error = await rejection(decode(bytes))
    expect(error).toBeInstanceOf(CorruptImageError)
    expect(error).toMatchObject({ message: expect.stringMatching(/JPEG codec: .*Huffman/) })
  })

  it('can decode many images concurrently', async () => {
    const decode = createWasmDecoder(modules)
    const all = await Promise.all(Object.values(images).map((bytes) => decode(bytes)))
    for (const out of all) expect(out).toMatchObject({ width: 48, height: 32 })
  })
})
