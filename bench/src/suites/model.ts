/**
 * Model benchmark, per preset (`fast`, `accurate`): what users should expect on their own photos and how
 * sure that is, what it costs, and how fast the served graph answers.
 *
 * - Run 1, the default run (every photo cross-validated): the card's estimate with its intervals, wall
 *   time, weight size, quantization and export fidelity.
 * - Run 2, `--val-split 0.2`: a fifth sealed before any choice; the served graph and the run's float32
 *   graph are scored here on those sealed photos, so the estimate can be read against a sealed figure.
 * - Latency: batch-1 `probabilitiesOfInputs` of each exported graph on tfjs wasm, interleaved, medians;
 *   the accurate preset once more with `--flip-tta --val-split 0.2` (answering with the mirror too).
 * - Quantization: the fast preset's run 2 re-exported as none / float16 / uint8 / auto, scored on its
 *   sealed photos (never on photos it trained on).
 * - Full mode only: the other backbones in ../shared/models as points (`--backbone NAME --no-fine-tune`).
 *
 * The trainer is spawned as its CLI and read through its outputs (card.json, split.json, the run dir), not
 * imported. Embeddings go to a private cache under a temp dir unless WHISKER_BENCH_REUSE_CACHE=1, which
 * reuses the user cache (~/.cache/whisker/embeddings) so repeated bench runs skip the backbone.
 * Run by `turbo run bench`; `WHISKER_BENCH_QUICK=1` (or `--quick`) uses 100 photos per class.
 */
import '@tensorflow/tfjs-backend-wasm'
import { execFile } from 'node:child_process'
import { mkdtemp, readdir, readFile, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import * as tf from '@tensorflow/tfjs-core'
import { type Classifier, loadClassifier, type ModelCard } from '@whisker/model-core'
import { readModelDir } from '@whisker/model-core/training'
import { toModelInput } from '@whisker/preprocess'
import { decodeImage } from '@whisker/preprocess/node'
import {
  BENCH_INPUTS,
  chart,
  ms,
  pct,
  QUICK,
  REPO_ROOT,
  repoRelative,
  type Score,
  scoreAnswers,
  summarize,
  type TimingSummary,
  table,
  topOneAgreement,
} from '../index.ts'
import { writeResult } from '../results.ts'

const exec = promisify(execFile)
const CLI = join(REPO_ROOT, 'apps', 'trainer', 'src', 'cli.ts')
const PHOTOS_PER_CLASS = QUICK ? 100 : undefined
const LIMIT = PHOTOS_PER_CLASS ? ['--limit-per-class', String(PHOTOS_PER_CLASS)] : []
const TIMING_RUNS = QUICK ? 10 : 30
const PRESET_NAMES = ['fast', 'accurate'] as const
const OTHER_BACKBONES = QUICK ? [] : ['mobilenet_v1_1.0_pw12', 'darknet_tiny']
const REUSE_CACHE = process.env.WHISKER_BENCH_REUSE_CACHE === '1'

await tf.setBackend('wasm')
const scratch = await mkdtemp(join(tmpdir(), 'whisker-bench-model-'))
const runs = join(scratch, 'runs')
// Without --cache-dir the CLI uses the user cache; a private one makes the first run's wall time honest.
const CACHE = REUSE_CACHE ? [] : ['--cache-dir', join(scratch, 'cache')]

interface TrainRun {
  label: string
  seconds: number
  runDir: string
  card: ModelCard
  weightBytes: number
}

async function cli(args: string[]): Promise<void> {
  await exec(process.execPath, [CLI, ...args], { maxBuffer: 64 * 1024 * 1024 })
}

async function train(label: string, extra: string[]): Promise<TrainRun> {
  const before = new Set(await readdir(runs).catch(() => [] as string[]))
  const started = performance.now()
  const out = join(scratch, 'out', label.replace(/[^a-z0-9]+/gi, '-'))
  await cli([
    'train',
    ...['--data', BENCH_INPUTS.data, '--models', BENCH_INPUTS.models, ...LIMIT, ...CACHE],
    ...['--runs', runs, '--out', out, ...extra],
  ])
  const seconds = (performance.now() - started) / 1000
  const id = (await readdir(runs)).find((d) => !before.has(d))!
  const runDir = join(runs, id)
  const card = JSON.parse(await readFile(join(runDir, 'model', 'card.json'), 'utf8')) as ModelCard
  const weightBytes = (await stat(join(runDir, 'model', 'weights.bin'))).size
  console.error(
    `${label}: ${seconds.toFixed(1)} s, ${card.estimate?.method} ${pct(card.metrics.valAccuracy)}`,
  )
  return { label, seconds, runDir, card, weightBytes }
}

/** The sealed photos of a --val-split run, decoded, with their true class. */
async function sealedPhotos(r: TrainRun) {
  const { val } = JSON.parse(await readFile(join(r.runDir, 'split.json'), 'utf8')) as { val: string[] }
  return Promise.all(
    val.map(async (name) => ({
      truth: r.card.labels.indexOf(name.includes('/') ? name.split('/')[0]! : name.split('.')[0]!),
      image: await decodeImage(await readFile(join(BENCH_INPUTS.data, name))),
    })),
  )
}
type Photos = Awaited<ReturnType<typeof sealedPhotos>>

async function answers(dir: string, photos: Photos): Promise<Float32Array[]> {
  const classifier = await loadClassifier(await readModelDir(dir))
  const probabilities: Float32Array[] = []
  for (let i = 0; i < photos.length; i += 32) {
    probabilities.push(...(await classifier.probabilities(photos.slice(i, i + 32).map((x) => x.image))))
  }
  classifier.dispose()
  return probabilities
}

// ---- runs 1 and 2 per preset, the TTA variant, and (full mode) the other backbones
interface PresetResult {
  name: string
  estimateRun: TrainRun
  sealedRun: TrainRun
  sealed: { served: Score; float32: Score; agreement: number }
}
const presets: PresetResult[] = []
let fastPhotos: Photos = []
let fastSealed: TrainRun | undefined
for (const name of PRESET_NAMES) {
  const estimateRun = await train(`${name}`, ['--preset', name])
  const sealedRun = await train(`${name}, --val-split 0.2`, ['--preset', name, '--val-split', '0.2'])
  const photos = await sealedPhotos(sealedRun)
  const truths = photos.map((p) => p.truth)
  const served = await answers(join(sealedRun.runDir, 'model'), photos)
  const float32 = await answers(join(sealedRun.runDir, 'float32'), photos)
  presets.push({
    name,
    estimateRun,
    sealedRun,
    sealed: {
      served: scoreAnswers(served, truths),
      float32: scoreAnswers(float32, truths),
      agreement: topOneAgreement(served, float32),
    },
  })
  if (name === 'fast') {
    fastPhotos = photos
    fastSealed = sealedRun
  }
}
// Sealed rather than cross-validated: the latency is the point, and one fit costs a fifth of k folds.
const tta = await train('accurate, --flip-tta', ['--preset', 'accurate', '--flip-tta', '--val-split', '0.2'])
const backbones: TrainRun[] = []
for (const b of OTHER_BACKBONES) backbones.push(await train(b, ['--backbone', b, '--no-fine-tune']))

// ---- quantization: the fast preset's run 2 re-exported each way, scored on its sealed photos
const QUANTIZATIONS = ['none', 'float16', 'uint8', 'auto'] as const
const exports: Record<string, { bytes: number; score: Score; agreement: number }> = {}
let reference: Float32Array[] = []
for (const q of QUANTIZATIONS) {
  const out = join(scratch, `export-${q}`)
  await cli(['export', '--run', fastSealed!.runDir, '--quantize', q, '--out', out])
  const probabilities = await answers(out, fastPhotos)
  if (q === 'none') reference = probabilities
  exports[q] = {
    bytes: (await stat(join(out, 'weights.bin'))).size,
    score: scoreAnswers(
      probabilities,
      fastPhotos.map((p) => p.truth),
    ),
    agreement: topOneAgreement(probabilities, reference),
  }
  console.error(`export ${q}: ${exports[q].bytes} bytes, ${pct(exports[q].score.accuracy)}`)
}

// ---- latency: each served graph at batch 1, interleaved so load drifts hit every model alike
const timed: { label: string; run: TrainRun }[] = [
  ...presets.map((p) => ({ label: p.name, run: p.estimateRun })),
  { label: 'accurate + flip TTA', run: tta },
  ...backbones.map((b) => ({ label: b.label, run: b })),
]
const photo = fastPhotos[0]!.image
const loaded: { classifier: Classifier; input: Float32Array }[] = []
for (const t of timed) {
  const classifier = await loadClassifier(await readModelDir(join(t.run.runDir, 'model')))
  loaded.push({ classifier, input: toModelInput(photo, classifier.card.input.resize) })
}
const samples: number[][] = loaded.map(() => [])
for (let round = -3; round < TIMING_RUNS; round++) {
  for (const [i, { classifier, input }] of loaded.entries()) {
    const started = performance.now()
    await classifier.probabilitiesOfInputs(input, 1)
    if (round >= 0) samples[i]!.push(performance.now() - started)
  }
}
const latency: TimingSummary[] = samples.map((s) => summarize(s))
for (const { classifier } of loaded) classifier.dispose()

// ---- report
const interval = ([low, high]: readonly [number, number]) => `${pct(low)}–${pct(high)}`
const kib = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`
const points = timed.map((t, i) => {
  const e = t.run.card.estimate
  return {
    model: t.label,
    latency: latency[i]!.median,
    kib: t.run.weightBytes / 1024,
    accuracy: (e?.accuracy ?? t.run.card.metrics.valAccuracy) * 100,
    low: (e?.accuracyInterval[0] ?? Number.NaN) * 100,
    high: (e?.accuracyInterval[1] ?? Number.NaN) * 100,
  }
})
const tradeOff = (field: 'latency' | 'kib', title: string) => ({
  $schema: 'https://vega.github.io/schema/vega-lite/v6.json' as const,
  width: 420,
  height: 220,
  title: `Estimated accuracy vs ${title}`,
  data: { values: points },
  encoding: { x: { field, type: 'quantitative' as const, title, scale: { zero: true } } },
  layer: [
    {
      mark: { type: 'rule' as const },
      encoding: {
        y: { field: 'low', type: 'quantitative' as const, scale: { zero: false } },
        y2: { field: 'high' },
      },
    },
    {
      mark: { type: 'point' as const, filled: true, size: 80 },
      encoding: {
        y: {
          field: 'accuracy',
          type: 'quantitative' as const,
          title: 'estimated accuracy (%), 95 % interval',
          scale: { zero: false },
        },
      },
    },
    {
      mark: { type: 'text' as const, dx: 8, align: 'left' as const },
      encoding: { y: { field: 'accuracy', type: 'quantitative' as const }, text: { field: 'model' } },
    },
  ],
})
const latencyChart = await chart(
  'bench-accuracy-vs-latency',
  'Estimated accuracy against batch-1 wasm latency, per preset and backbone',
  tradeOff('latency', 'batch-1 latency on tfjs wasm (ms)'),
)
const sizeChart = await chart(
  'bench-accuracy-vs-size',
  'Estimated accuracy against weight size, per preset and backbone',
  tradeOff('kib', 'weights (KiB)'),
)

const estimateRows = timed.map((t, i) => {
  const r = t.run
  const e = r.card.estimate
  const f = r.card.exportFidelity
  return [
    t.label,
    r.card.architecture.backbone ?? r.card.architecture.kind,
    e ? `${pct(e.accuracy)} (${interval(e.accuracyInterval)})` : pct(r.card.metrics.valAccuracy),
    e
      ? `${e.logLoss.toFixed(3)} (${e.logLossInterval[0].toFixed(3)}–${e.logLossInterval[1].toFixed(3)})`
      : '—',
    e ? `${e.method}${e.folds ? `, ${e.folds} folds` : ''}, ${e.count} photos` : 'card has no estimate',
    `${r.seconds.toFixed(0)} s`,
    `${r.card.quantization}, ${kib(r.weightBytes)}`,
    f ? `${pct(f.agreement)} agree, mean KL ${f.meanKl.toExponential(1)}` : 'float32 (exact)',
    ms(latency[i]!.median),
  ]
})
const sealedRows = presets.map((p) => {
  const e = p.estimateRun.card.estimate
  return [
    p.name,
    e ? `${pct(e.accuracy)} (${interval(e.accuracyInterval)})` : '—',
    `${pct(p.sealed.served.accuracy)} (${interval(p.sealed.served.accuracyInterval)})`,
    `${pct(p.sealed.float32.accuracy)} (${interval(p.sealed.float32.accuracyInterval)})`,
    pct(p.sealed.agreement),
    String(p.sealed.served.count),
  ]
})
const ttaCost = latency[timed.findIndex((t) => t.label === 'accurate + flip TTA')]!.median
const accurateLatency = latency[timed.findIndex((t) => t.label === 'accurate')]!.median

const markdown = [
  '### What to expect on your own photos, per preset',
  '',
  table(
    [
      'model',
      'backbone',
      'estimated accuracy (95 %)',
      'log loss (95 %)',
      'estimated by',
      'train wall time',
      'export',
      'export vs float32',
      'latency (median)',
    ],
    estimateRows,
  ),
  '',
  latencyChart,
  '',
  sizeChart,
  '',
  '### Estimate against a sealed fifth (`--val-split 0.2`)',
  '',
  table(
    [
      'preset',
      "the card's estimate (method above)",
      'sealed, served graph',
      'sealed, float32 graph',
      'top-1 agreement',
      'sealed photos',
    ],
    sealedRows,
  ),
  '',
  `Answering with the mirror too (\`--flip-tta\`) costs the accurate preset ${(ttaCost / accurateLatency).toFixed(2)}× its batch-1 latency (${ms(ttaCost)} vs ${ms(accurateLatency)}).`,
  '',
  '### Quantization of the fast preset (its sealed photos, through `loadClassifier`)',
  '',
  table(
    [
      'quantization',
      'weights',
      'sealed accuracy (95 %)',
      'Δ vs float32',
      'log loss',
      'top-1 agreement with float32',
    ],
    QUANTIZATIONS.map((q) => {
      const x = exports[q]!
      return [
        q,
        kib(x.bytes),
        `${pct(x.score.accuracy)} (${interval(x.score.accuracyInterval)})`,
        `${((x.score.accuracy - exports.none!.score.accuracy) * 100).toFixed(2)} points`,
        x.score.logLoss.toFixed(4),
        pct(x.agreement),
      ]
    }),
  ),
].join('\n')

const method = [
  `Photos: ${repoRelative(BENCH_INPUTS.data)}${PHOTOS_PER_CLASS ? ` (quick: ${PHOTOS_PER_CLASS} per class)` : ''}; backbones from ${repoRelative(BENCH_INPUTS.models)}. Each row is \`whisker train --preset NAME\` spawned as a process (${REUSE_CACHE ? 'reusing the user embedding cache, WHISKER_BENCH_REUSE_CACHE=1, so wall times exclude embedding' : 'with a private, initially empty embedding cache shared by the runs of this bench, so the first run of a backbone pays for embedding and later ones reuse it'}); throwaway --runs and --out.`,
  "Estimated accuracy and log loss are the model card's `estimate` of the default run: every photo cross-validated, the whole recipe (epochs, temperature, quantization) chosen without the photo's fold; accuracy interval Wilson, log-loss interval bootstrap. Wall time is the whole CLI process.",
  'Sealed figures: a second run with `--val-split 0.2` seals a fifth by file name (seed 42) before any choice; its served graph (`model/`) and its float32 graph (`float32/`) are scored here on those photos through `loadClassifier`, with Wilson 95 % intervals.',
  "Quantization rows re-export the fast preset's sealed run with `whisker export --quantize` and score each on its sealed photos; agreement is the share whose top class equals the float32 export's.",
  `Latency: ${TIMING_RUNS} interleaved rounds (after 3 warm-up rounds) of batch-1 \`probabilitiesOfInputs\` per served graph on one photo, tfjs ${tf.version_core} wasm; medians. The flip-TTA row is a \`--val-split 0.2\` run, so its accuracy is its sealed fifth's (method \`holdout\`).${OTHER_BACKBONES.length ? ' Other backbones: `--backbone NAME --no-fine-tune`, head only.' : ' Quick mode leaves out the other backbones.'}`,
]

const path = await writeResult({
  suite: 'model',
  title: 'Model: presets, estimates, sealed figures, quantization and inference',
  method,
  markdown,
  figures: {
    presets: presets.map((p) => ({
      name: p.name,
      seconds: p.estimateRun.seconds,
      weightBytes: p.estimateRun.weightBytes,
      estimate: p.estimateRun.card.estimate,
      quantization: p.estimateRun.card.quantization,
      exportFidelity: p.estimateRun.card.exportFidelity,
      sealed: p.sealed,
    })),
    latency: Object.fromEntries(timed.map((t, i) => [t.label, latency[i]])),
    backbones: backbones.map((b) => ({
      name: b.label,
      estimate: b.card.estimate,
      weightBytes: b.weightBytes,
    })),
    quantization: exports,
    reuseCache: REUSE_CACHE,
  },
})
console.log(markdown)
console.error(`written ${path}`)
