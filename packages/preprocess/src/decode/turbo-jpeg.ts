import { CorruptImageError } from '../errors.ts'
import type { RgbImage } from '../types.ts'

/**
 * libjpeg-turbo's TurboJPEG API as built to wasm by @cwasm/jpeg-turbo (libjpeg-turbo 2.0, from the npm
 * registry). It is here for one thing mozjpeg's build (@jsquash/jpeg) does not offer: DCT-domain scaling.
 * `tjDecompress2` given a smaller destination than the JPEG picks libjpeg's scale_num/scale_denom, so a
 * 1/8 decode runs only the DC term of each 8×8 block's IDCT and writes 1/64 of the pixels: the entropy
 * decoding still reads the whole file, but no full-size buffer is ever allocated.
 *
 * The package's own index.js reads the .wasm with `fs` and instantiates at import, which workerd cannot
 * do; this module drives the same exports from a precompiled WebAssembly.Module instead.
 */
interface TurboExports {
  readonly memory: WebAssembly.Memory
  malloc(size: number): number
  free(pointer: number): void
  tjInitDecompress(): number
  tjDestroy(handle: number): number
  tjDecompressHeader3(
    handle: number,
    src: number,
    size: number,
    width: number,
    height: number,
    subsampling: number,
    colourspace: number,
  ): number
  tjDecompress2(
    handle: number,
    src: number,
    size: number,
    dst: number,
    width: number,
    pitch: number,
    height: number,
    pixelFormat: number,
    flags: number,
  ): number
}

/** TJPF_RGB: three bytes a pixel, so no RGBA buffer and no flattening pass. */
const TJPF_RGB = 0

/** The DCT scale denominators used, largest first: libjpeg scales by 1/8, 1/4 or 1/2 in the IDCT. */
export const JPEG_SCALES = [8, 4, 2] as const

/**
 * The denominator to decode a width × height JPEG at so that its shorter side keeps at least
 * `minSide` pixels: the largest of 8, 4, 2 that does, else 1 (full size). libjpeg rounds scaled
 * sizes up (⌈side / d⌉), and so does this.
 */
export function jpegScaleFor(width: number, height: number, minSide: number): number {
  const side = Math.min(width, height)
  for (const d of JPEG_SCALES) if (Math.ceil(side / d) >= minSide) return d
  return 1
}

/** libjpeg's own scaled size: ⌈size / d⌉ (jdiv_round_up). */
export function scaledSize(size: number, denominator: number): number {
  return Math.ceil(size / denominator)
}

/**
 * One instance of the codec. libjpeg reports fatal errors through longjmp, which this build imports
 * from JS; throwing there unwinds the wasm stack without running its cleanup, so after any failure the
 * instance is discarded and the next decode starts a fresh one (memory stays bounded).
 */
export class TurboJpeg {
  #instance: TurboExports | undefined
  /** Where TurboJPEG's static `errStr` may live (see `reason`). */
  #messageSlots: number[] = []
  readonly #module: WebAssembly.Module

  constructor(module: WebAssembly.Module) {
    this.#module = module
  }

  /** Decodes at 1/denominator of the stored (un-oriented) size, as RGB. */
  decode(bytes: Uint8Array, width: number, height: number, denominator: number): RgbImage {
    const outW = scaledSize(width, denominator)
    const outH = scaledSize(height, denominator)
    const wasm = this.#exports()
    try {
      return run(wasm, bytes, outW, outH)
    } catch (error) {
      const detail = this.#reason(wasm) ?? 'libjpeg-turbo refused the data'
      this.#instance = undefined
      throw new CorruptImageError(`JPEG codec: ${detail}`, { cause: error })
    }
  }

  /** Bytes of linear memory the codec holds now (it only grows): for memory budgets. */
  get memoryBytes(): number {
    return this.#instance?.memory.buffer.byteLength ?? 0
  }

  #exports(): TurboExports {
    if (!this.#instance) {
      this.#instance = new WebAssembly.Instance(this.#module, imports()).exports as unknown as TurboExports
      this.#messageSlots = findAll(new Uint8Array(this.#instance.memory.buffer), NO_ERROR)
    }
    return this.#instance
  }

  /**
   * libjpeg's own words for a failure ("Bogus Huffman table definition"): TurboJPEG formats them into a
   * static `errStr`, initialised to "No error", which this build does not export. Its address is found
   * once per instance by that initial text; whichever candidate changed holds the message.
   */
  #reason(wasm: TurboExports): string | undefined {
    const memory = new Uint8Array(wasm.memory.buffer)
    for (const at of this.#messageSlots) {
      const end = memory.indexOf(0, at)
      const text = new TextDecoder().decode(memory.subarray(at, Math.min(end, at + 200)))
      if (text && text !== 'No error') return text
    }
    return undefined
  }
}

const NO_ERROR = new TextEncoder().encode('No error\0')

function findAll(haystack: Uint8Array, needle: Uint8Array): number[] {
  const found: number[] = []
  outer: for (let i = haystack.indexOf(needle[0]!); i >= 0; i = haystack.indexOf(needle[0]!, i + 1)) {
    for (let k = 1; k < needle.length; k++) if (haystack[i + k] !== needle[k]) continue outer
    found.push(i)
  }
  return found
}

function imports(): WebAssembly.Imports {
  const unavailable = (name: string) => () => {
    throw new Error(`libjpeg-turbo called ${name}, which this host does not provide`)
  }
  return {
    // setjmp "returns 0" (no saved context); libjpeg's longjmp on a fatal error becomes a JS throw.
    env: { setjmp: () => 0, longjmp: unavailable('longjmp (a fatal libjpeg error)') },
    wasi_snapshot_preview1: {
      environ_sizes_get: () => 0,
      environ_get: unavailable('environ_get'),
      proc_exit: unavailable('proc_exit'),
      fd_close: unavailable('fd_close'),
      fd_seek: unavailable('fd_seek'),
      fd_write: unavailable('fd_write'),
    },
  }
}

function run(wasm: TurboExports, bytes: Uint8Array, outW: number, outH: number): RgbImage {
  const size = outW * outH * 3
  const src = wasm.malloc(bytes.byteLength)
  const dst = wasm.malloc(size)
  const handle = wasm.tjInitDecompress()
  try {
    if (src === 0 || dst === 0 || handle === 0)
      throw new Error('libjpeg-turbo could not allocate its buffers')
    new Uint8Array(wasm.memory.buffer, src, bytes.byteLength).set(bytes)
    // Width and height are the largest the caller accepts; TurboJPEG picks the largest scale that fits.
    const status = wasm.tjDecompress2(handle, src, bytes.byteLength, dst, outW, outW * 3, outH, TJPF_RGB, 0)
    // Non-zero also for libjpeg warnings (corrupt entropy data it would paint over): refuse, as sharp does.
    if (status !== 0) throw new Error(`tjDecompress2 returned ${status}`)
    // Copy out: the wasm memory is reused by the next decode.
    const data = new Uint8Array(wasm.memory.buffer, dst, size).slice()
    return { width: outW, height: outH, data }
  } finally {
    if (handle !== 0) wasm.tjDestroy(handle)
    wasm.free(dst)
    wasm.free(src)
  }
}
