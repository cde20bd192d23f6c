/**
 * Preprocessing benchmark: parity and speed of the two decode paths on the dogs-vs-cats photos.
 *
 * - Parity: every photo is decoded by the Node path (sharp) and the Worker path (@jsquash wasm, the
 *   binaries wrangler bundles, run here in Node), turned into the model input by `toModelInput`, and
 *   the tensors and the default model's top-1 predictions are compared.
 * - Speed: decode + resize per image on each path, against sharp decoding and resizing by itself,
 *   measured per photo with the paths interleaved so load changes hit all of them alike.
 *
 * Run by `turbo run bench` (all photos; `WHISKER_BENCH_QUICK=1` or `--quick`: 300 photos). Writes
 * bench/results/preprocess.json at the repository root.
 */
import '@tensorflow/tfjs-backend-wasm'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs-core'
import { diff, samplePhotos } from '@whisker/fixtures'
import { argmax, type Classifier, loadClassifier } from '@whisker/model-core'
import { readModelDir } from '@whisker/model-core/training'
import { type ResizePolicy, type RgbImage, toModelInput } from '@whisker/preprocess'
import { decodeImage } from '@whisker/preprocess/node'
import { compileWasmModules } from '@whisker/preprocess/node-wasm'
import { createWasmDecoder, WASM_FILES } from '@whisker/preprocess/workers'
import sharp from 'sharp'
import {
  BENCH_INPUTS,
  ms,
  pct,
  QUICK,
  REPO_ROOT,
  ratio,
  repoRelative,
  summarize,
  table,
  writeResult,
} from '../index.ts'

const PHOTOS = QUICK ? 300 : 3000
/** Timed repetitions per photo and path; the photo's figure is their median. */
const REPS = 3
/** Photos decoded (both paths) before each classification batch. */
const CHUNK = 50
const WARMUP_PHOTOS = 20
const MODEL_DIR = join(REPO_ROOT, 'apps', 'edge-api', 'model')
/** The bounds for Node vs Worker parity. */
const BOUNDS = { top1Agreement: 0.998, meanAbsDiff: 1 } // mean |Δ| in [0, 255] units, i.e. 1/255 of the range

/** What one timed run of a path produced. `img`/`tensor` are absent for the sharp baseline. */
interface Run {
  total: number
  decode?: number
  resize?: number
  img?: RgbImage
  tensor?: Float32Array
}

type PathName = 'sharp' | 'node' | 'wasm'
const PATHS: readonly PathName[] = ['sharp', 'node', 'wasm']

// ---------------------------------------------------------------------------------------------- setup

const photos = samplePhotos(PHOTOS, BENCH_INPUTS.data)
if (!existsSync(join(MODEL_DIR, 'card.json'))) {
  throw new Error(`No model at ${MODEL_DIR}: run \`npm run train\` (or turbo run model) first.`)
}
if (!(await tf.setBackend('wasm'))) throw new Error('the tfjs wasm backend did not initialise')
const classifier = await loadClassifier(await readModelDir(MODEL_DIR))
const policy: ResizePolicy = classifier.card.input.resize
const wasmDecode = createWasmDecoder(await compileWasmModules())

const paths: Record<PathName, (bytes: Uint8Array) => Promise<Run>> = {
  /** The baseline: sharp decoding and resizing in one pipeline, as a Node service would by itself. */
  sharp: async (bytes) => {
    const started = performance.now()
    await sharp(bytes).rotate().resize(224, 224, { fit: 'cover' }).removeAlpha().raw().toBuffer()
    return { total: performance.now() - started }
  },
  node: (bytes) => decodeAndResize(decodeImage, bytes),
  wasm: (bytes) => decodeAndResize(wasmDecode, bytes),
}

async function decodeAndResize(
  decode: (b: Uint8Array) => Promise<RgbImage>,
  bytes: Uint8Array,
): Promise<Run> {
  const started = performance.now()
  const img = await decode(bytes)
  const decoded = performance.now()
  const tensor = toModelInput(img, policy)
  const done = performance.now()
  return { total: done - started, decode: decoded - started, resize: done - decoded, img, tensor }
}

// ---------------------------------------------------------------------------------------------- run

const started = performance.now()
console.error(
  `preprocess bench: ${photos.length} photos from ${repoRelative(BENCH_INPUTS.data)}${QUICK ? ' (quick)' : ''}`,
)
for (let round = 0; round < 2; round++) {
  for (const photo of photos.slice(0, WARMUP_PHOTOS)) for (const p of PATHS) await paths[p](photo.bytes)
}
await classifier.probabilities([(await paths.node(photos[0]!.bytes)).img!]) // compile the graph's kernels

const perPhoto = {
  sharp: [] as number[],
  node: [] as number[],
  wasm: [] as number[],
  nodeDecode: [] as number[],
  nodeResize: [] as number[],
  wasmDecode: [] as number[],
  wasmResize: [] as number[],
  wasmOverSharp: [] as number[],
  nodeOverSharp: [] as number[],
}
const parity = {
  meanSum: 0,
  max: 0,
  identicalTensors: 0,
  identicalPixels: 0,
  agree: 0,
  maxProbDiff: 0,
  disagreements: [] as string[],
  worst: { name: '', mean: 0, max: 0 },
}
const failures: Array<{ name: string; path: PathName; error: string }> = []
let compared = 0

for (let start = 0; start < photos.length; start += CHUNK) {
  const chunk = photos.slice(start, start + CHUNK)
  const nodeImgs: RgbImage[] = []
  const wasmImgs: RgbImage[] = []
  const names: string[] = []
  for (const [offset, photo] of chunk.entries()) {
    const index = start + offset
    const times: Record<PathName, Run[]> = { sharp: [], node: [], wasm: [] }
    let failed = false
    for (let rep = 0; rep < REPS && !failed; rep++) {
      // Rotate the order per photo and repetition so no path always runs first (or after GC pressure).
      for (let k = 0; k < PATHS.length; k++) {
        const p = PATHS[(index + rep + k) % PATHS.length]!
        try {
          const run = await paths[p](photo.bytes)
          // Keep one decode per path for the parity check; later repetitions only time.
          if (rep > 0) {
            run.img = undefined
            run.tensor = undefined
          }
          times[p].push(run)
        } catch (error) {
          failures.push({ name: photo.name, path: p, error: String(error) })
          failed = true
          break
        }
      }
    }
    if (failed) continue
    const median = (runs: Run[], key: 'total' | 'decode' | 'resize') =>
      summarize(runs.map((r) => r[key] ?? 0)).median
    const sharpMs = median(times.sharp, 'total')
    perPhoto.sharp.push(sharpMs)
    perPhoto.node.push(median(times.node, 'total'))
    perPhoto.wasm.push(median(times.wasm, 'total'))
    perPhoto.nodeDecode.push(median(times.node, 'decode'))
    perPhoto.nodeResize.push(median(times.node, 'resize'))
    perPhoto.wasmDecode.push(median(times.wasm, 'decode'))
    perPhoto.wasmResize.push(median(times.wasm, 'resize'))
    perPhoto.nodeOverSharp.push(median(times.node, 'total') / sharpMs)
    perPhoto.wasmOverSharp.push(median(times.wasm, 'total') / sharpMs)

    const node = times.node[0]!
    const wasm = times.wasm[0]!
    const d = diff(node.tensor!, wasm.tensor!)
    parity.meanSum += d.mean
    parity.max = Math.max(parity.max, d.max)
    if (d.max === 0) parity.identicalTensors++
    if (samePixels(node.img!, wasm.img!)) parity.identicalPixels++
    if (d.mean > parity.worst.mean) parity.worst = { name: photo.name, mean: d.mean, max: d.max }
    nodeImgs.push(node.img!)
    wasmImgs.push(wasm.img!)
    names.push(photo.name)
    compared++
  }
  await classifyBoth(classifier, nodeImgs, wasmImgs, names)
  const done = Math.min(start + CHUNK, photos.length)
  if (done % 500 === 0 || done === photos.length) {
    console.error(`  ${done}/${photos.length} photos, ${((performance.now() - started) / 1000).toFixed(0)} s`)
  }
}
classifier.dispose()
const wallSeconds = (performance.now() - started) / 1000

async function classifyBoth(
  model: Classifier,
  nodeImgs: RgbImage[],
  wasmImgs: RgbImage[],
  names: string[],
): Promise<void> {
  const [a, b] = [await model.probabilities(nodeImgs), await model.probabilities(wasmImgs)]
  for (let i = 0; i < names.length; i++) {
    const pa = a[i]!
    const pb = b[i]!
    if (argmax(pa) === argmax(pb)) parity.agree++
    else parity.disagreements.push(names[i]!)
    for (let c = 0; c < pa.length; c++)
      parity.maxProbDiff = Math.max(parity.maxProbDiff, Math.abs(pa[c]! - pb[c]!))
  }
}

// ---------------------------------------------------------------------------------------------- report

if (compared === 0) throw new Error('no photo decoded on every path')
const meanAbsDiff = parity.meanSum / compared
const agreement = parity.agree / compared
const pass = {
  top1Agreement: agreement >= BOUNDS.top1Agreement,
  meanAbsDiff: meanAbsDiff <= BOUNDS.meanAbsDiff,
}
const speed = {
  sharp: summarize(perPhoto.sharp),
  node: summarize(perPhoto.node),
  wasm: summarize(perPhoto.wasm),
  nodeDecode: summarize(perPhoto.nodeDecode),
  nodeResize: summarize(perPhoto.nodeResize),
  wasmDecode: summarize(perPhoto.wasmDecode),
  wasmResize: summarize(perPhoto.wasmResize),
}
const ratios = {
  node: speed.node.median / speed.sharp.median,
  wasm: speed.wasm.median / speed.sharp.median,
  nodeP95: speed.node.p95 / speed.sharp.p95,
  wasmP95: speed.wasm.p95 / speed.sharp.p95,
  nodePairedMedian: summarize(perPhoto.nodeOverSharp).median,
  wasmPairedMedian: summarize(perPhoto.wasmOverSharp).median,
}
const wasmWithin2x = ratios.wasm <= 2

const verdict = (ok: boolean) => (ok ? 'pass' : '**fail**')
const markdown = [
  `Node path (sharp decoder) vs Worker path (@jsquash wasm decoder) on ${compared} dogs-vs-cats photos, both through \`toModelInput\` (${policy.size}×${policy.size} ${policy.mode}).`,
  '',
  table(
    ['Parity', 'Measured', 'Bound', 'Result'],
    [
      [
        'Model input mean \\|Δ\\| (0–255 scale)',
        meanAbsDiff.toFixed(4),
        `≤ ${BOUNDS.meanAbsDiff} (1/255 of range)`,
        verdict(pass.meanAbsDiff),
      ],
      ['Model input max \\|Δ\\|', parity.max.toFixed(4), '—', '—'],
      ['Bit-identical tensors', `${parity.identicalTensors} / ${compared}`, '—', '—'],
      [
        'Top-1 agreement (default model)',
        `${pct(agreement)} (${parity.agree} / ${compared})`,
        `≥ ${pct(BOUNDS.top1Agreement, 1)}`,
        verdict(pass.top1Agreement),
      ],
      ['Max \\|Δ probability\\|', parity.maxProbDiff.toExponential(2), '—', '—'],
    ],
  ),
  '',
  table(
    ['Decode + resize per image', 'Median', 'p95', 'Median vs sharp', 'p95 vs sharp'],
    [
      ['sharp decode + resize (baseline)', ms(speed.sharp.median), ms(speed.sharp.p95), ratio(1), ratio(1)],
      [
        'Node path: sharp decoder + `toModelInput`',
        ms(speed.node.median),
        ms(speed.node.p95),
        ratio(ratios.node),
        ratio(ratios.nodeP95),
      ],
      [
        'Worker path: wasm decoder + `toModelInput`',
        ms(speed.wasm.median),
        ms(speed.wasm.p95),
        ratio(ratios.wasm),
        ratio(ratios.wasmP95),
      ],
    ],
  ),
  '',
  `Worker path within 2× of sharp (median): ${wasmWithin2x ? 'yes' : '**no**'}. Where the time goes (median per image): ` +
    `wasm decode ${ms(speed.wasmDecode.median)} + \`toModelInput\` ${ms(speed.wasmResize.median)}; ` +
    `sharp decode ${ms(speed.nodeDecode.median)} + \`toModelInput\` ${ms(speed.nodeResize.median)}.`,
].join('\n')

const method = [
  `Inputs: ${photos.length} JPEG photos of ${repoRelative(BENCH_INPUTS.data)} (${QUICK ? 'quick run: every 10th in name order, cats and dogs alike' : 'all of them'}); ${compared} compared, ${failures.length} refused by some path.`,
  'Node path: `decodeImage` from `@whisker/preprocess/node` (sharp/libvips, full resolution, EXIF rotate, alpha on white, ICC ignored), then `toModelInput`.',
  `Worker path: \`createWasmDecoder\` from \`@whisker/preprocess/workers\`, run in Node ${process.version} with the same @jsquash wasm binaries wrangler bundles into the Worker (${Object.values(WASM_FILES).join(', ')}), compiled with WebAssembly.compile; then \`toModelInput\`. Not measured inside workerd.`,
  `Model input: \`toModelInput\` with the model card's policy (${policy.mode}, ${policy.size}×${policy.size}, ${policy.filter}), float32 HWC in [0, 255]; mean |Δ| is averaged over every value of every photo's tensor, max |Δ| is the largest over all; bit-identical means max |Δ| = 0.`,
  `Top-1 agreement: the default model in apps/edge-api/model (${classifier.card.name} ${classifier.card.version}, ${classifier.card.architecture.backbone ?? classifier.card.architecture.kind}, ${classifier.card.quantization}) loaded with \`readModelDir\` + \`loadClassifier\` on the tfjs wasm backend, classifying the Node-decoded and the wasm-decoded image of each photo in batches of ${CHUNK}. The model was trained on this folder, so this measures agreement, not accuracy.`,
  `Bounds: top-1 agreement ≥ ${pct(BOUNDS.top1Agreement, 1)}, mean |Δ| ≤ 1/255 of the [0, 255] range (≤ 1.0 in tensor units).`,
  `Speed: per photo, ${REPS} timed repetitions of each path, interleaved (the path order rotates per photo and repetition); the photo's time is the median of its ${REPS}, and the table gives the median and p95 over photos. ${WARMUP_PHOTOS} photos × 2 rounds of untimed warm-up on every path first.`,
  `Baseline: \`sharp(bytes).rotate().resize(224, 224, { fit: 'cover' }).removeAlpha().raw().toBuffer()\` in the same run (its own Lanczos-3 kernel, and JPEG shrink-on-load where the ratio allows). sharp ${sharp.versions.sharp}, libvips ${sharp.versions.vips}, libvips thread pool ${sharp.concurrency()} thread(s) for both sharp rows; the wasm codecs and \`toModelInput\` are single-threaded.`,
  'Ratios are median (or p95) of the path over median (or p95) of the baseline; figures.ratios also gives the median of per-photo ratios.',
]

const figures = {
  photos: photos.length,
  compared,
  failures,
  policy,
  model: { dir: 'apps/edge-api/model', name: classifier.card.name, version: classifier.card.version },
  parity: {
    meanAbsDiff,
    maxAbsDiff: parity.max,
    identicalTensors: parity.identicalTensors,
    identicalPixels: parity.identicalPixels,
    worstPhoto: parity.worst,
    top1Agreement: agreement,
    top1Agree: parity.agree,
    disagreements: parity.disagreements,
    maxProbabilityDiff: parity.maxProbDiff,
    bounds: BOUNDS,
    pass,
  },
  speed: { ...speed, ratios, wasmWithin2x, repetitionsPerPhoto: REPS },
  wallSeconds,
}

const path = await writeResult({
  suite: 'preprocess',
  title: 'Preprocessing: parity and speed',
  method,
  markdown,
  figures,
})
console.log(markdown)
console.error(`written ${path} in ${wallSeconds.toFixed(0)} s`)

// ---------------------------------------------------------------------------------------------- helpers

function samePixels(a: RgbImage, b: RgbImage): boolean {
  if (a.width !== b.width || a.height !== b.height) return false
  for (let i = 0; i < a.data.length; i++) if (a.data[i] !== b.data[i]) return false
  return true
}
