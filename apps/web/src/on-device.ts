/**
 * "On this device": the same graph model the Worker serves, run in the browser with tfjs through the same
 * predictor (`loadClassifier` from @whisker/model-core). Once loaded nothing needs the network: photos
 * never leave the device and the page keeps classifying offline.
 *
 * Two engines, picked once:
 * - where the page's Content-Security-Policy lets it compile WebAssembly: tfjs on wasm and the Worker's own
 *   wasm decoders (@whisker/preprocess/workers), so a photo gets the very same numbers as from the server;
 * - otherwise (`script-src 'self'` without `'wasm-unsafe-eval'`): tfjs on its pure-JS cpu backend and the
 *   browser's own image decoder behind the same guards (limits, completeness, EXIF orientation, alpha on
 *   white). Same labels; scores can differ in the last digits, since the JPEG decoders differ.
 *
 * This module is heavy (tfjs, the predictor) and only loaded, as its own chunk, when the switch is turned
 * on or the live camera opens. The model files are copied into the build at `/model/` by vite/model.ts and
 * fetched with `?v=<revision>` (their content hash), so the service worker's copy is always the right one.
 */
import jpegUrl from '@cwasm/jpeg-turbo/jpeg-turbo.wasm?url'
import pngUrl from '@jsquash/png/codec/pkg/squoosh_png_bg.wasm?url'
import webpUrl from '@jsquash/webp/codec/dec/webp_dec.wasm?url'
import '@tensorflow/tfjs-backend-cpu' // registers the pure-JS backend
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm' // also registers the wasm backend
import plainWasmUrl from '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm.wasm?url'
import simdWasmUrl from '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-simd.wasm?url'
import threadedWasmUrl from '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.wasm?url'
import * as tf from '@tensorflow/tfjs-core'
// Gradients for the heatmaps (Grad-CAM differentiates the model's head); tfjs-core registers none itself.
import '@tensorflow/tfjs-core/dist/register_all_gradients'
import { DEFAULT_MAX_BODY_BYTES, HEATMAP_PNG_SIZE, WORKER_MAX_PIXELS } from '@whisker/api-contract/plain'
import {
  type Classifier,
  type GraphModelJson,
  type Heatmap,
  loadClassifier,
  parseModelCard as parseFullCard,
  renderHeatmap,
} from '@whisker/model-core'
import {
  assertComplete,
  CorruptImageError,
  checkLimits,
  flattenRgba,
  type ImageDecoder,
  modelInputWindow,
  type RgbImage,
} from '@whisker/preprocess'
import { createWasmDecoder } from '@whisker/preprocess/workers'
import type { Classification, Explanation, ModelCard, Outcome } from './api.ts'
import { cspAllowsWasm } from './csp.ts'
import { deviceProblem } from './device-errors.ts'

/** The Worker's limits, so both refuse the same photos. */
const LIMITS = { maxBytes: DEFAULT_MAX_BODY_BYTES, maxPixels: WORKER_MAX_PIXELS }

export interface DeviceClassifier {
  readonly card: ModelCard
  /** The tfjs backend that runs the model: `wasm`, or `cpu`. */
  readonly backend: string
  /** Which image decoder: the Worker's wasm codecs, or the browser's own. */
  readonly decoder: 'wasm' | 'browser'
  /** Bytes downloaded for the model (graph and weights). */
  readonly modelBytes: number
  /** Never throws; `latencyMs` covers decoding and inference (and the heatmap). */
  classify(image: Blob, options?: { explain?: boolean }): Promise<Outcome<Classification>>
  /**
   * The video's current frame, as a photo of it would be: its RGB pixels through the same predictor
   * (`toModelInput`, the graph). Never throws; `latencyMs` covers reading the pixels and inference.
   */
  classifyFrame(video: HTMLVideoElement): Promise<Outcome<Classification>>
}

/** The heatmap as the Worker would send it: the same pixels (renderHeatmap), a canvas makes the PNG. */
function explanationOf(heatmap: Heatmap, image: RgbImage, classifier: Classifier): Explanation {
  const raster = renderHeatmap(heatmap, HEATMAP_PNG_SIZE)
  const canvas = document.createElement('canvas')
  canvas.width = raster.width
  canvas.height = raster.height
  const context = canvas.getContext('2d')
  if (!context) throw new Error('no 2D canvas')
  context.putImageData(
    new ImageData(raster.data as Uint8ClampedArray<ArrayBuffer>, raster.width, raster.height),
    0,
    0,
  )
  return {
    method: heatmap.method,
    label: heatmap.label,
    png: canvas.toDataURL('image/png'),
    region: modelInputWindow(image.width, image.height, classifier.card.input.resize),
  }
}

async function download(url: string): Promise<Response> {
  const response = await fetch(url)
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`)
  return response
}

async function compile(url: string): Promise<WebAssembly.Module> {
  return WebAssembly.compile(await (await download(url)).arrayBuffer())
}

/** Reads the page's own CSP (same-origin headers are readable); offline, assume what loaded the page. */
async function wasmAllowed(): Promise<boolean> {
  try {
    const response = await fetch(location.pathname, { method: 'HEAD', cache: 'no-store' })
    return cspAllowsWasm(response.headers.get('content-security-policy'))
  } catch {
    return true
  }
}

/** What `source` shows, `width` × `height`, as RGB on white: the pixels every decoder hands the predictor. */
function pixelsOf(
  canvas: HTMLCanvasElement,
  source: CanvasImageSource,
  width: number,
  height: number,
): RgbImage {
  canvas.width = width
  canvas.height = height
  const context = canvas.getContext('2d', { willReadFrequently: true })
  if (!context) throw new Error('no 2D canvas')
  context.drawImage(source, 0, 0, width, height)
  return flattenRgba(context.getImageData(0, 0, width, height).data, width, height)
}

/** The browser's decoder behind the package's guards, so the same files are refused with the same codes. */
const decodeInBrowser: ImageDecoder = async (bytes, limits) => {
  const header = checkLimits(bytes, limits)
  assertComplete(bytes, header.format)
  let bitmap: ImageBitmap
  try {
    bitmap = await createImageBitmap(new Blob([bytes as Uint8Array<ArrayBuffer>]), {
      imageOrientation: 'from-image',
      premultiplyAlpha: 'none',
      colorSpaceConversion: 'none', // like the wasm decoders, ignore embedded colour profiles
    })
  } catch {
    throw new CorruptImageError('the browser could not decode it')
  }
  try {
    return pixelsOf(document.createElement('canvas'), bitmap, bitmap.width, bitmap.height)
  } finally {
    bitmap.close()
  }
}

interface Engine {
  readonly backend: string
  readonly decoder: 'wasm' | 'browser'
  readonly decode: ImageDecoder
}

async function wasmEngine(): Promise<Engine> {
  // Only the single-threaded builds: threads need a cross-origin isolated page, which this one is not,
  // so tfjs is told so rather than trusting its probe. setWasmPaths still insists on a path for each of
  // the three binaries (without one it throws, and the page silently fell back on the JS engine): the
  // threaded one is named too, emitted into the build but never fetched.
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false)
  setWasmPaths({
    'tfjs-backend-wasm.wasm': plainWasmUrl,
    'tfjs-backend-wasm-simd.wasm': simdWasmUrl,
    'tfjs-backend-wasm-threaded-simd.wasm': threadedWasmUrl,
  })
  const [jpeg, png, webp, started] = await Promise.all([
    compile(jpegUrl),
    compile(pngUrl),
    compile(webpUrl),
    tf.setBackend('wasm'),
  ])
  if (!started) throw new Error('the tfjs wasm backend did not start')
  return { backend: 'wasm', decoder: 'wasm', decode: createWasmDecoder({ jpeg, png, webp }) }
}

async function jsEngine(): Promise<Engine> {
  if (!(await tf.setBackend('cpu'))) throw new Error('no tfjs backend could be started')
  return { backend: 'cpu', decoder: 'browser', decode: decodeInBrowser }
}

async function startEngine(): Promise<Engine> {
  if (await wasmAllowed()) {
    try {
      return await wasmEngine()
    } catch (error) {
      console.warn('On-device wasm failed; using the pure-JS engine.', error)
    }
  }
  return jsEngine()
}

/**
 * Downloads the model (`revision`: its content hash, set by the build) and starts tfjs. Rejects (with a
 * technical reason) if anything fails.
 */
export async function loadDeviceClassifier(revision: string, base = '/model/'): Promise<DeviceClassifier> {
  const url = (file: string) => `${base}${file}?v=${encodeURIComponent(revision)}`
  const [cardJson, modelJson, weights, engine] = await Promise.all([
    download(url('card.json')).then((r) => r.json() as Promise<unknown>),
    download(url('model.json')).then((r) => r.json() as Promise<GraphModelJson>),
    download(url('weights.bin')).then((r) => r.arrayBuffer()),
    startEngine(),
  ])
  tf.enableProdMode() // skips per-op NaN checks and debug bookkeeping
  const classifier = await loadClassifier({ modelJson, weights, card: parseFullCard(cardJson) })
  const version = classifier.card.version
  const frameCanvas = document.createElement('canvas')

  return {
    card: classifier.card,
    backend: engine.backend,
    decoder: engine.decoder,
    modelBytes: weights.byteLength + JSON.stringify(modelJson).length,
    async classify(image, options = {}) {
      const started = performance.now()
      try {
        const pixels = await engine.decode(new Uint8Array(await image.arrayBuffer()), LIMITS)
        if (options.explain && classifier.explainNodes) {
          const { classification, heatmap } = await classifier.explain(pixels)
          const { label, confidence, predictions } = classification
          const explain = explanationOf(heatmap, pixels, classifier)
          const latencyMs = performance.now() - started
          return {
            ok: true,
            latencyMs,
            value: { label, confidence, predictions, model: { version }, explain },
          }
        }
        const { label, confidence, predictions } = await classifier.classify(pixels)
        const latencyMs = performance.now() - started
        return { ok: true, latencyMs, value: { label, confidence, predictions, model: { version } } }
      } catch (error) {
        return { ok: false, error: deviceProblem(error) }
      }
    },
    async classifyFrame(video) {
      const started = performance.now()
      try {
        const pixels = pixelsOf(frameCanvas, video, video.videoWidth, video.videoHeight)
        const { label, confidence, predictions } = await classifier.classify(pixels)
        const latencyMs = performance.now() - started
        return { ok: true, latencyMs, value: { label, confidence, predictions, model: { version } } }
      } catch (error) {
        return { ok: false, error: deviceProblem(error) }
      }
    },
  }
}
