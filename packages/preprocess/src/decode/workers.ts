import decodePng, { init as initPng } from '@jsquash/png/decode.js'
import decodeWebp, { init as initWebp } from '@jsquash/webp/decode.js'
import { CorruptImageError, UnsupportedImageTypeError } from '../errors.ts'
import { flattenRgba } from '../flatten.ts'
import { applyOrientation, readOrientation, swapsAxes } from '../orient.ts'
import type { DecodeHint, ImageDecoder, ImageHeader, RgbImage } from '../types.ts'
import { admit } from './admit.ts'
import { decodeCmykJpeg } from './cmyk-jpeg.ts'
import { jpegScaleFor, TurboJpeg } from './turbo-jpeg.ts'

export { WASM_FILES } from './wasm-files.ts'

/** Precompiled codec modules, imported by the host's bundler (see WASM_FILES). WebP is optional. */
export interface WasmModules {
  /** libjpeg-turbo (@cwasm/jpeg-turbo): the JPEG codec that can decode at 1/2, 1/4 or 1/8 scale. */
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
 * The wasm decoder for workerd and browsers (and Node, where tests compare it with sharp): libjpeg-turbo
 * for JPEG and @jsquash codecs for PNG and WebP, instantiated from the given modules, so nothing is
 * fetched and nothing is compiled at runtime. Same gate as the Node decoder (limits, completeness), then
 * RGBA → RGB on white, then the EXIF orientation applied in pure TS because these codecs ignore it.
 * With a `DecodeHint`, a large JPEG is decoded at 1/2, 1/4 or 1/8 scale in the IDCT (see `jpegScaleFor`).
 * CMYK and YCCK JPEGs go to the pure-JS decoder the Node decoder uses for them too.
 */
export function createWasmDecoder(modules: WasmModules): ImageDecoder {
  assertModule(modules.jpeg, 'jpeg')
  assertModule(modules.png, 'png')
  if (modules.webp !== undefined) assertModule(modules.webp, 'webp')
  const jpeg = turboFor(modules.jpeg)
  return async (bytes, limits, hint) => {
    const header = admit(bytes, limits)
    if (header.colourSpace) return decodeCmykJpeg(bytes, header, limits)
    if (header.format === 'jpeg') return decodeJpeg(jpeg, bytes, header, hint)
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

/** One codec instance per module, shared by every decoder made from it (it is synchronous, so never re-entered). */
const turbos = new WeakMap<WebAssembly.Module, TurboJpeg>()

function turboFor(module: WebAssembly.Module): TurboJpeg {
  let turbo = turbos.get(module)
  if (!turbo) {
    turbo = new TurboJpeg(module)
    turbos.set(module, turbo)
  }
  return turbo
}

/** The memory the JPEG codec made from `module` holds now (0 before its first decode): for budgets. */
export function jpegCodecMemoryBytes(module: WebAssembly.Module): number {
  return turbos.get(module)?.memoryBytes ?? 0
}

function decodeJpeg(turbo: TurboJpeg, bytes: Uint8Array, header: ImageHeader, hint?: DecodeHint): RgbImage {
  const scale = hint ? jpegScaleFor(header.width, header.height, hint.minSide) : 1
  const orientation = readOrientation(bytes, 'jpeg')
  const image = applyOrientation(turbo.decode(bytes, header.width, header.height, scale), orientation)
  if (scale === 1) return image
  const swap = swapsAxes(orientation)
  const source = { width: swap ? header.height : header.width, height: swap ? header.width : header.height }
  return { ...image, source }
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
type JsquashFormat = 'png' | 'webp'
const ready = new Map<JsquashFormat, Promise<DecodeRgba>>()
/** The codec's last stderr line (e.g. libwebp's), used as the error reason. */
const lastMessage = new Map<JsquashFormat, string>()

function codec(format: JsquashFormat, module: WebAssembly.Module): Promise<DecodeRgba> {
  let pending = ready.get(format)
  if (!pending) {
    pending = initCodec(format, module)
    pending.catch(() => ready.delete(format))
    ready.set(format, pending)
  }
  return pending
}

async function initCodec(format: JsquashFormat, module: WebAssembly.Module): Promise<DecodeRgba> {
  const log: Log = (message) => lastMessage.set(format, message)
  const quiet = { print: () => {}, printErr: log }
  if (format === 'png') {
    await initPng(module)
    return decodePng as unknown as DecodeRgba
  }
  await (initWebp as unknown as EmscriptenInit)(module, quiet)
  return decodeWebp as unknown as DecodeRgba
}

async function runCodec(decode: DecodeRgba, format: JsquashFormat, bytes: Uint8Array): Promise<Rgba> {
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
