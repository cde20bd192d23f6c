import decodeJpeg, { init as initJpeg } from '@jsquash/jpeg/decode.js'
import decodePng, { init as initPng } from '@jsquash/png/decode.js'
import decodeWebp, { init as initWebp } from '@jsquash/webp/decode.js'
import { CorruptImageError, UnsupportedImageTypeError } from '../errors.ts'
import { flattenRgba } from '../flatten.ts'
import { applyOrientation, readOrientation } from '../orient.ts'
import type { ImageDecoder, ImageFormat } from '../types.ts'
import { admit } from './admit.ts'
import { decodeCmykJpeg } from './cmyk-jpeg.ts'

export { WASM_FILES } from './wasm-files.ts'

/** Precompiled codec modules, imported by the host's bundler (see WASM_FILES). WebP is optional. */
export interface WasmModules {
  readonly jpeg: WebAssembly.Module
  readonly png: WebAssembly.Module
  readonly webp?: WebAssembly.Module
}

/** What every @jsquash decoder resolves to (an ImageData, or jsquash's polyfill of it outside browsers). */
interface Rgba {
  readonly width: number
  readonly height: number
  readonly data: Uint8ClampedArray
}

type DecodeRgba = (buffer: ArrayBuffer) => Promise<Rgba>

/** Emscripten's init as implemented (its .d.ts omits the precompiled-module overload). */
type EmscriptenInit = (module: WebAssembly.Module, overrides: { print: Log; printErr: Log }) => Promise<void>
type Log = (message: string) => void

/**
 * The wasm decoder for workerd and browsers (and Node, where tests compare it with sharp): @jsquash
 * codecs instantiated from the given modules, so nothing is fetched and nothing is compiled at runtime.
 * Same gate as the Node decoder (limits, completeness), then RGBA → RGB on white, then the EXIF
 * orientation applied in pure TS because these codecs ignore it. CMYK and YCCK JPEGs, which mozjpeg's
 * wasm build cannot turn into RGB, go to the pure-JS decoder the Node decoder uses for them too.
 */
export function createWasmDecoder(modules: WasmModules): ImageDecoder {
  assertModule(modules.jpeg, 'jpeg')
  assertModule(modules.png, 'png')
  if (modules.webp !== undefined) assertModule(modules.webp, 'webp')
  return async (bytes, limits) => {
    const header = admit(bytes, limits)
    if (header.colourSpace) return decodeCmykJpeg(bytes, header, limits)
    const module = modules[header.format]
    if (!module) throw new UnsupportedImageTypeError('WebP (this decoder was created without the WebP codec)')
    const decode = await codec(header.format, module)
    const rgba = await runCodec(decode, header.format, bytes)
    if (rgba.width !== header.width || rgba.height !== header.height) {
      throw new CorruptImageError(
        `decoded ${rgba.width}×${rgba.height} but the header says ${header.width}×${header.height}`,
      )
    }
    const rgb = flattenRgba(rgba.data, rgba.width, rgba.height)
    return applyOrientation(rgb, readOrientation(bytes, header.format))
  }
}

/** Without a real module, @jsquash would silently fall back to fetching the .wasm by URL. */
function assertModule(module: unknown, name: string): void {
  if (!(module instanceof WebAssembly.Module)) {
    throw new TypeError(`createWasmDecoder: modules.${name} must be a compiled WebAssembly.Module`)
  }
}

/**
 * @jsquash keeps one codec instance per JS module (global state), so initialisation is memoised here
 * per format: the first decoder's modules win. A failed init is forgotten so the next call retries.
 */
const ready = new Map<ImageFormat, Promise<DecodeRgba>>()
/** The codec's last stderr line (e.g. libjpeg's "Bogus marker length"), used as the error reason. */
const lastMessage = new Map<ImageFormat, string>()

function codec(format: ImageFormat, module: WebAssembly.Module): Promise<DecodeRgba> {
  let pending = ready.get(format)
  if (!pending) {
    pending = initCodec(format, module)
    pending.catch(() => ready.delete(format))
    ready.set(format, pending)
  }
  return pending
}

async function initCodec(format: ImageFormat, module: WebAssembly.Module): Promise<DecodeRgba> {
  const log: Log = (message) => lastMessage.set(format, message)
  const quiet = { print: () => {}, printErr: log }
  if (format === 'jpeg') {
    await (initJpeg as unknown as EmscriptenInit)(module, quiet)
    return decodeJpeg as unknown as DecodeRgba
  }
  if (format === 'png') {
    await initPng(module)
    return decodePng as unknown as DecodeRgba
  }
  await (initWebp as unknown as EmscriptenInit)(module, quiet)
  return decodeWebp as unknown as DecodeRgba
}

async function runCodec(decode: DecodeRgba, format: ImageFormat, bytes: Uint8Array): Promise<Rgba> {
  lastMessage.delete(format)
  try {
    return await decode(exactArrayBuffer(bytes))
  } catch (error) {
    // A module that does not link is a deployment bug, not a bad image: let it surface as is.
    if (error instanceof Error && (error.name === 'LinkError' || error.name === 'CompileError')) throw error
    const detail = lastMessage.get(format) ?? (error instanceof Error ? error.message : 'codec aborted')
    throw new CorruptImageError(`${format.toUpperCase()} codec: ${detail}`, { cause: error })
  }
}

/** The codecs take an ArrayBuffer; copy only when `bytes` is a view on part of a larger buffer. */
function exactArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  const { buffer, byteOffset, byteLength } = bytes
  if (buffer instanceof ArrayBuffer && byteOffset === 0 && byteLength === buffer.byteLength) return buffer
  // `new Uint8Array(view)` always copies; `bytes.slice()` would not for a Node Buffer (it aliases).
  return new Uint8Array(bytes).buffer
}
