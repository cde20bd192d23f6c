/**
 * Model benchmark: what `turbo run train` costs and produces, how each quantization trades bytes for
 * accuracy, and how fast the exported graph runs against the Layers model it came from.
 *
 * - Training: `whisker train` (fast preset) with an empty embedding cache, then again with the cache
 *   it filled (the second-run figure), with augmentation, with fine-tuning, then the accurate preset. Wall time is the CLI's own process.
 * - Quantization: the first run's float32 graph re-exported by `whisker export` as none / float16 /
 *   uint8 / auto; each export is scored here on the run's validation split through `loadClassifier`.
 * - Inference: batch-1 latency of the exported graph and of the Layers model (same backbone, same head
 *   shape) on the tfjs wasm backend, interleaved, medians over repeated runs.
 *
 * Run by `turbo run bench`; `WHISKER_BENCH_QUICK=1` (or `--quick`) trains on 300 photos per class.
 */
import '@tensorflow/tfjs-backend-wasm'
import { execFile } from 'node:child_process'
import { mkdtemp, readdir, readFile, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import * as tf from '@tensorflow/tfjs-core'
import { type Classifier, loadClassifier, type ModelCard } from '@whisker/model-core'
import { assembleTransferModel, buildHead, loadBackbone, readModelDir } from '@whisker/model-core/training'
import { toModelInput } from '@whisker/preprocess'
import { decodeImage } from '@whisker/preprocess/node'
import {
  BENCH_INPUTS,
  chart,
  ms,
  pct,
  QUICK,
  REPO_ROOT,
  ratio,
  repoRelative,
  summarize,
  table,
  time,
  writeResult,
} from '../index.ts'

const run = promisify(execFile)
const CLI = join(REPO_ROOT, 'apps', 'trainer', 'src', 'cli.ts')
const LIMIT = QUICK ? ['--limit-per-class', '300'] : []
const TIMING_RUNS = 30

await tf.setBackend('wasm')
const scratch = await mkdtemp(join(tmpdir(), 'whisker-bench-model-'))
const cache = join(scratch, 'cache')
const runs = join(scratch, 'runs')

interface TrainRun {
  label: string
  seconds: number
  runDir: string
  card: ModelCard
  weightBytes: number
}

async function train(label: string, extra: string[]): Promise<TrainRun> {
  const before = new Set(await readdir(runs).catch(() => [] as string[]))
  const started = performance.now()
  const args = [CLI, 'train', '--data', BENCH_INPUTS.data, '--models', BENCH_INPUTS.models, ...LIMIT]
  await run(
    process.execPath,
    [...args, '--cache-dir', cache, '--runs', runs, '--out', join(scratch, label), ...extra],
    {
      maxBuffer: 64 * 1024 * 1024,
    },
  )
  const seconds = (performance.now() - started) / 1000
  const id = (await readdir(runs)).find((d) => !before.has(d))!
  const card = JSON.parse(await readFile(join(runs, id, 'model', 'card.json'), 'utf8')) as ModelCard
  console.error(`${label}: ${seconds.toFixed(1)} s, accuracy ${pct(card.metrics.valAccuracy)}`)
  const weightBytes = (await stat(join(runs, id, 'model', 'weights.bin'))).size
  return { label, seconds, runDir: join(runs, id), card, weightBytes }
}

const first = await train('fast, empty cache', [])
const second = await train('fast, cached embeddings', ['--hidden', '0'])
const augmented = await train('fast, --augment seed', ['--augment', 'seed'])
const fineTuned = await train('fast, --fine-tune 11', ['--fine-tune', '11'])
const accurate = await train('accurate preset', ['--preset', 'accurate'])
const trainingRuns = [first, second, augmented, fineTuned, accurate]

// ---- quantization: re-export the first run's float32 graph each way, score each on the same photos
const { val } = JSON.parse(await readFile(join(first.runDir, 'split.json'), 'utf8')) as { val: string[] }
const labels = first.card.labels
const images = await Promise.all(
  val.map(async (name) => ({
    truth: labels.indexOf(name.includes('/') ? name.split('/')[0]! : name.split('.')[0]!),
    image: await decodeImage(await readFile(join(BENCH_INPUTS.data, name))),
  })),
)

async function score(dir: string) {
  const classifier = await loadClassifier(await readModelDir(dir))
  const probabilities: Float32Array[] = []
  for (let i = 0; i < images.length; i += 32) {
    probabilities.push(...(await classifier.probabilities(images.slice(i, i + 32).map((x) => x.image))))
  }
  classifier.dispose()
  return probabilities
}

const QUANTIZATIONS = ['none', 'float16', 'uint8', 'auto'] as const
const exports: Record<string, { bytes: number; accuracy: number; logLoss: number; agreement: number }> = {}
let reference: Float32Array[] = []
for (const q of QUANTIZATIONS) {
  const out = join(scratch, `export-${q}`)
  await run(process.execPath, [CLI, 'export', '--run', first.runDir, '--quantize', q, '--out', out], {
    maxBuffer: 64 * 1024 * 1024,
  })
  const probabilities = await score(out)
  if (q === 'none') reference = probabilities
  const argmax = (p: Float32Array) => p.indexOf(Math.max(...p))
  let correct = 0
  let agree = 0
  let loss = 0
  probabilities.forEach((p, i) => {
    const truth = images[i]!.truth
    if (argmax(p) === truth) correct++
    if (argmax(p) === argmax(reference[i]!)) agree++
    loss -= Math.log(Math.min(1 - 1e-7, Math.max(1e-7, p[truth]!)))
  })
  exports[q] = {
    bytes: (await stat(join(out, 'weights.bin'))).size,
    accuracy: correct / images.length,
    logLoss: loss / images.length,
    agreement: agree / images.length,
  }
  console.error(`export ${q}: ${exports[q].bytes} bytes, ${pct(exports[q].accuracy)}`)
}

// ---- inference: exported graph vs the Layers model it came from, batch 1, interleaved
const backbone = await loadBackbone({
  backbone: first.card.architecture.backbone!,
  modelsDir: BENCH_INPUTS.models,
})
const layers = assembleTransferModel(
  backbone,
  buildHead(backbone.spec.featureDim, { hidden: 64, dropout: 0.4, l2: 0, classes: 2 }),
)
const graph: Classifier = await loadClassifier(await readModelDir(join(scratch, 'export-auto')))
const input = toModelInput(images[0]!.image, graph.card.input.resize)
const { scale, offset } = graph.card.input.normalization
const pixels = tf.tensor4d(input, [1, 224, 224, 3])
const layersRun = () => {
  const out = tf.tidy(() => layers.predict(tf.add(tf.mul(pixels, scale), offset)) as tf.Tensor)
  out.dataSync()
  out.dispose()
}
const graphRun = () => graph.probabilitiesOfInputs(input, 1)
const graphSamples: number[] = []
const layersSamples: number[] = []
for (let i = 0; i < 5; i++) {
  layersRun()
  await graphRun()
}
for (let i = 0; i < TIMING_RUNS; i++) {
  graphSamples.push((await time(graphRun, 1, 0)).median)
  layersSamples.push((await time(layersRun, 1, 0)).median)
}
const graphTime = summarize(graphSamples)
const layersTime = summarize(layersSamples)

// ---- report
const trainRows = trainingRuns.map((r) => [
  r.label,
  r.card.architecture.backbone ?? r.card.architecture.kind,
  `${r.seconds.toFixed(1)} s`,
  pct(r.card.metrics.valAccuracy),
  r.card.metrics.valLogLoss.toFixed(4),
  `${r.card.quantization}, ${(r.weightBytes / 1024).toFixed(0)} KiB`,
])
const sizeChart = await chart(
  'bench-accuracy-vs-size',
  'Validation accuracy against weight size per quantization',
  {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: 420,
    height: 220,
    title: 'Fast model: accuracy vs weight size',
    data: {
      values: QUANTIZATIONS.map((q) => ({
        quantization: q,
        kib: exports[q]!.bytes / 1024,
        accuracy: exports[q]!.accuracy * 100,
      })),
    },
    layer: [
      { mark: { type: 'point', filled: true, size: 80 } },
      { mark: { type: 'text', dx: 8, align: 'left' }, encoding: { text: { field: 'quantization' } } },
    ],
    encoding: {
      x: { field: 'kib', type: 'quantitative', title: 'weights (KiB)', scale: { zero: true } },
      y: {
        field: 'accuracy',
        type: 'quantitative',
        title: 'validation accuracy (%)',
        scale: { zero: false },
      },
    },
  },
)

const markdown = [
  `### Training (${first.card.training.trainCount} training and ${first.card.metrics.valCount} validation photos)`,
  '',
  table(['run', 'backbone', 'wall time', 'val accuracy', 'val log loss', 'export'], trainRows),
  '',
  '### Quantization of the fast model (same validation photos, through `loadClassifier`)',
  '',
  table(
    [
      'quantization',
      'weights',
      'val accuracy',
      'Δ vs float32',
      'val log loss',
      'top-1 agreement with float32',
    ],
    QUANTIZATIONS.map((q) => [
      q,
      `${(exports[q]!.bytes / 1024).toFixed(0)} KiB`,
      pct(exports[q]!.accuracy),
      `${((exports[q]!.accuracy - exports.none!.accuracy) * 100).toFixed(2)} points`,
      exports[q]!.logLoss.toFixed(4),
      pct(exports[q]!.agreement),
    ]),
  ),
  '',
  sizeChart,
  '',
  '### Inference on tfjs wasm, batch 1',
  '',
  table(
    ['model', 'median', 'p95', 'vs Layers model'],
    [
      [
        'Layers model (backbone + head, BatchNorm unfolded)',
        ms(layersTime.median),
        ms(layersTime.p95),
        ratio(1),
      ],
      [
        'exported graph (auto)',
        ms(graphTime.median),
        ms(graphTime.p95),
        ratio(graphTime.median / layersTime.median),
      ],
    ],
  ),
].join('\n')

const method = [
  `Photos: ${repoRelative(BENCH_INPUTS.data)}${QUICK ? ' (quick: 300 per class)' : ''}; backbones from ${repoRelative(BENCH_INPUTS.models)}; deterministic split by file name (seed 42), 20 % validation.`,
  "Training wall time is the whole `whisker train` process (backend start, embedding, head, calibration, export with auto quantization, scoring). The first run starts with an empty embedding cache; the second reuses it with other head settings (`--hidden 0`) and the auto-quantization choice the first one remembered; the augmented run embeds two augmented views of each training photo (cached afterwards); the fine-tuned one also trains MobileNetV2's top block (11 layers) with the head on trunk features of the photos, keeping the fitted head when no fine-tuning epoch beats its validation loss.",
  "Quantization rows re-export the first run's float32 graph with `whisker export` and score each export on the same validation photos through the one predictor; agreement is the share of photos whose top-1 class equals the float32 export's.",
  `Inference: ${TIMING_RUNS} interleaved batch-1 calls of each model after 5 warm-up calls, on one validation photo, tfjs ${tf.version_core} wasm (SIMD, one thread); the Layers model has the same backbone and head shape.`,
]

const path = await writeResult({
  suite: 'model',
  title: 'Model: training, quantization and inference',
  method,
  markdown,
  figures: {
    training: trainingRuns.map((r) => ({ label: r.label, seconds: r.seconds, card: r.card })),
    quantization: exports,
    inference: { graph: graphTime, layers: layersTime, ratio: graphTime.median / layersTime.median },
  },
})
console.log(markdown)
console.error(`written ${path}`)
