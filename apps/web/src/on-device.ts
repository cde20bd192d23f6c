/**
 * "On this device": the same graph model the Worker serves, run in the browser with tfjs (wasm, cpu as a
 * fallback) through the same predictor (`loadClassifier`) and the same wasm decoders, so a photo gets the
 * same answer here as from the server. Once loaded, nothing needs the network: photos never leave the
 * device and the page keeps classifying offline.
 *
 * This module is heavy (tfjs, the codecs) and only loaded, as its own chunk, when the switch is turned on.
 * The model files are copied into the build at `/model/` by vite.config.ts.
 */
import jpegUrl from '@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm?url'
import pngUrl from '@jsquash/png/codec/pkg/squoosh_png_bg.wasm?url'
import webpUrl from '@jsquash/webp/codec/dec/webp_dec.wasm?url'
import '@tensorflow/tfjs-backend-cpu' // registers the fallback backend
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm' // also registers the wasm backend
import plainWasmUrl from '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm.wasm?url'
import simdWasmUrl from '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-simd.wasm?url'
import * as tf from '@tensorflow/tfjs-core'
import { type GraphModelJson, loadClassifier, parseModelCard as parseFullCard } from '@whisker/model-core'
import { createWasmDecoder } from '@whisker/preprocess/workers'
import { type ApiError, type Classification, type ModelCard, type Outcome, parseModelCard } from './api.ts'
import { deviceProblem } from './device-errors.ts'

/** The Worker's limits (apps/edge-api/src/config.ts), so both refuse the same photos. */
const LIMITS = { maxBytes: 10 * 1024 * 1024, maxPixels: 16_000_000 }

export interface DeviceClassifier {
  readonly card: ModelCard
  /** The tfjs backend that runs it: `wasm`, or `cpu` where wasm could not start. */
  readonly backend: string
  /** Total bytes downloaded for the model files. */
  readonly modelBytes: number
  /** Never throws; `latencyMs` covers decoding and inference. */
  classify(image: Blob): Promise<Outcome<Classification>>
}

async function download(url: string, signal?: AbortSignal): Promise<Response> {
  const response = await fetch(url, signal ? { signal } : {})
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`)
  return response
}

async function compile(url: string, signal?: AbortSignal): Promise<WebAssembly.Module> {
  return WebAssembly.compile(await (await download(url, signal)).arrayBuffer())
}

async function startBackend(): Promise<string> {
  // Only the single-threaded builds: threads need a cross-origin isolated page, which this one is not.
  setWasmPaths({ 'tfjs-backend-wasm.wasm': plainWasmUrl, 'tfjs-backend-wasm-simd.wasm': simdWasmUrl })
  try {
    if (await tf.setBackend('wasm')) return 'wasm'
  } catch {
    // fall through to cpu
  }
  if (!(await tf.setBackend('cpu'))) throw new Error('no tfjs backend could be started')
  return 'cpu'
}

/** Downloads the model and the codecs and starts tfjs. Rejects (with a technical reason) if anything fails. */
export async function loadDeviceClassifier(base = '/model/', signal?: AbortSignal): Promise<DeviceClassifier> {
  const [cardJson, modelJson, weights, jpeg, png, webp, backend] = await Promise.all([
    download(`${base}card.json`, signal).then((r) => r.json() as Promise<unknown>),
    download(`${base}model.json`, signal).then((r) => r.json() as Promise<GraphModelJson>),
    download(`${base}weights.bin`, signal).then((r) => r.arrayBuffer()),
    compile(jpegUrl, signal),
    compile(pngUrl, signal),
    compile(webpUrl, signal),
    startBackend(),
  ])
  const classifier = await loadClassifier({ modelJson, weights, card: parseFullCard(cardJson) })
  const decode = createWasmDecoder({ jpeg, png, webp })
  const version = classifier.card.version
  const modelBytes = weights.byteLength + JSON.stringify(modelJson).length

  return {
    card: parseModelCard(cardJson),
    backend,
    modelBytes,
    async classify(image) {
      const started = performance.now()
      try {
        const pixels = await decode(new Uint8Array(await image.arrayBuffer()), LIMITS)
        const { label, confidence, predictions } = await classifier.classify(pixels)
        const latencyMs = performance.now() - started
        return { ok: true, latencyMs, value: { label, confidence, predictions, model: { version } } }
      } catch (error) {
        const problem: ApiError = deviceProblem(error)
        return { ok: false, error: problem }
      }
    },
  }
}
