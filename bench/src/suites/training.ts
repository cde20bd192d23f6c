/**
 * Training benchmark: how fast convnets train on the CPU without a native TensorFlow binding, i.e. on the
 * tfjs wasm backend with `@whisker/model-core/kernels` registered, against the pure-JS cpu backend measured in
 * the same run and the native PyTorch figure from the notes.
 *
 * - Seed CNN (the tutorial's network, 150×150×3, two classes), `trainOnBatch` with the tutorial's optimiser:
 *   wasm + the training kernels at batch 32; wasm with only the missing kernels added (the built-in
 *   Conv2DBackpropInput, MaxPoolGrad, Sum and BatchMatMul kept) at batch 32; the cpu backend at batch 2
 *   (a batch-32 step takes about 10 minutes there), and wasm at batch 2 for a same-batch ratio.
 * - MobileNetV2 α0.35 at 224×224, batch 32, fine-tuning its top block (block_16 + Conv_1, BatchNorm
 *   included) with a two-class head: the frozen trunk runs in inference mode, the top block trains.
 *
 * Each figure is the median over timed steps after warm-up steps; images/s from wall time and from the
 * process's CPU time (less sensitive to other load on a shared machine; wasm runs on one thread).
 * Run by `turbo run bench`; `WHISKER_BENCH_QUICK=1` (or `--quick`) takes fewer steps.
 */
import '@tensorflow/tfjs-backend-cpu'
import * as tf from '@tensorflow/tfjs-core'
import * as tfl from '@tensorflow/tfjs-layers'
import { registerWasmTrainingKernels, WASM_TRAINING_KERNELS } from '@whisker/model-core/kernels'
import { buildSeedCnn, loadBackbone, TimeDecaySgd } from '@whisker/model-core/training'
import { BENCH_INPUTS, QUICK, summarize, type TimingSummary, table, writeResult } from '../index.ts'

/** Native PyTorch on this machine, one thread, seed CNN batch 32 (the figure from the notes). */
const PYTORCH_IMAGES_PER_SECOND = 41
/** The goal: half of native. */
const GOAL = 20
const STEPS = QUICK ? { warmup: 1, timed: 3, cpuTimed: 1 } : { warmup: 2, timed: 8, cpuTimed: 2 }

interface StepTiming {
  batch: number
  steps: number
  wall: TimingSummary
  cpu: TimingSummary
  /** Images per second from the median wall and CPU time per step. */
  imagesPerSecond: { wall: number; cpu: number }
  loss: { first: number; last: number }
}

/** Times `step` (one batch of `batch` images) `timed` times after `warmup` untimed calls. */
async function timeSteps(
  batch: number,
  warmup: number,
  timed: number,
  step: () => Promise<number>,
): Promise<StepTiming> {
  const losses: number[] = []
  for (let i = 0; i < warmup; i++) losses.push(await step())
  const wall: number[] = []
  const cpu: number[] = []
  for (let i = 0; i < timed; i++) {
    const started = performance.now()
    const cpuStarted = process.cpuUsage()
    losses.push(await step())
    wall.push(performance.now() - started)
    const used = process.cpuUsage(cpuStarted)
    cpu.push((used.user + used.system) / 1000)
  }
  const w = summarize(wall)
  const c = summarize(cpu)
  return {
    batch,
    steps: timed,
    wall: w,
    cpu: c,
    imagesPerSecond: { wall: (batch * 1000) / w.median, cpu: (batch * 1000) / c.median },
    loss: { first: losses[0]!, last: losses.at(-1)! },
  }
}

/** A seed CNN step on the active backend: a fixed random batch, labels alternating. */
async function seedCnn(batch: number, warmup: number, timed: number): Promise<StepTiming> {
  const model = buildSeedCnn({ classes: 2, seed: 1 })
  const sgd = new TimeDecaySgd()
  model.compile({ optimizer: sgd.optimizer, loss: 'categoricalCrossentropy' })
  const x = tf.randomUniform([batch, 150, 150, 3], 0, 1, 'float32', 1)
  const y = tf.oneHot(
    tf.tensor1d(
      Array.from({ length: batch }, (_, i) => i % 2),
      'int32',
    ),
    2,
  )
  const result = await timeSteps(batch, warmup, timed, async () => {
    sgd.nextRate()
    return (await model.trainOnBatch(x, y)) as number
  })
  tf.dispose([x, y])
  model.dispose()
  sgd.optimizer.dispose()
  return result
}

const log = (label: string, t: StepTiming) =>
  console.error(
    `${label}: batch ${t.batch}, ${(t.wall.median / 1000).toFixed(2)} s/step, ${t.imagesPerSecond.wall.toFixed(2)} img/s (CPU time: ${t.imagesPerSecond.cpu.toFixed(2)})`,
  )

// ---------------------------------------------------------------------------------------------- seed CNN

const builtIn = new Map(WASM_TRAINING_KERNELS.replaced.map((name) => [name, tf.getKernel(name, 'wasm')]))
registerWasmTrainingKernels()
await tf.setBackend('wasm')
const wasm = await seedCnn(32, STEPS.warmup, STEPS.timed)
log('seed CNN, wasm + training kernels', wasm)
const wasmSmall = await seedCnn(2, STEPS.warmup, STEPS.timed)
log('seed CNN, wasm + training kernels', wasmSmall)

// Only the missing kernels added: the wasm backend's own Conv2DBackpropInput, MaxPoolGrad, Sum, BatchMatMul.
const ours = new Map(WASM_TRAINING_KERNELS.replaced.map((name) => [name, tf.getKernel(name, 'wasm')]))
const swap = (kernels: Map<string, tf.KernelConfig>) => {
  for (const [name, config] of kernels) {
    tf.unregisterKernel(name, 'wasm')
    tf.registerKernel(config)
  }
}
swap(builtIn)
const wasmAddedOnly = await seedCnn(32, 1, Math.max(2, STEPS.timed >> 1))
log('seed CNN, wasm + missing kernels only', wasmAddedOnly)
swap(ours)

await tf.setBackend('cpu')
const cpu = await seedCnn(2, 1, STEPS.cpuTimed)
log('seed CNN, cpu backend', cpu)

// ---------------------------------------------------------------------------------------------- MobileNetV2

await tf.setBackend('wasm')
const TOP_BLOCK = 'block_16_expand'
const backbone = await loadBackbone({ backbone: 'mobilenet_v2_0.35', modelsDir: BENCH_INPUTS.models })
const layers = backbone.model.layers
const first = layers.findIndex((l) => l.name === TOP_BLOCK)
const cut = layers[first]!.input as tfl.SymbolicTensor
const trunk = tfl.model({ inputs: backbone.model.inputs, outputs: cut })
// The top block is a chain (block_16 has no residual): re-apply its layers, shared weights, to a new input.
const topInput = tfl.input({ shape: cut.shape.slice(1) as number[] })
const chain = layers.slice(first)
for (const [i, layer] of chain.entries()) {
  if (i > 0 && layer.input !== chain[i - 1]!.output) throw new Error(`${layer.name} does not follow a chain`)
}
let flow: tfl.SymbolicTensor = topInput
for (const layer of chain) flow = layer.apply(flow) as tfl.SymbolicTensor
const pooled = tfl.layers.globalAveragePooling2d({}).apply(flow) as tfl.SymbolicTensor
const head = tfl.layers.dense({ units: 2, activation: 'softmax' }).apply(pooled) as tfl.SymbolicTensor
const top = tfl.model({ inputs: topInput, outputs: head })
top.compile({ optimizer: tf.train.momentum(0.01, 0.9), loss: 'categoricalCrossentropy' })
const trainable = top.trainableWeights.reduce(
  (n, w) => n + (w.shape as number[]).reduce((a, b) => a * b, 1),
  0,
)
const images = tf.randomUniform([32, 224, 224, 3], -1, 1, 'float32', 2)
const labels = tf.oneHot(
  tf.tensor1d(
    Array.from({ length: 32 }, (_, i) => i % 2),
    'int32',
  ),
  2,
)
let trunkMs = 0
const fineTune = await timeSteps(32, STEPS.warmup, STEPS.timed, async () => {
  const started = performance.now()
  const features = trunk.predict(images) as tf.Tensor
  await features.data()
  trunkMs = performance.now() - started
  const loss = (await top.trainOnBatch(features, labels)) as number
  features.dispose()
  return loss
})
log('MobileNetV2 0.35 top-block fine-tune, wasm', fineTune)
const lastTrunkMs = trunkMs

// ---------------------------------------------------------------------------------------------- report

/** One decimal, or two significant digits below 1 (the cpu backend's figures). */
const figure = (value: number) => (value >= 1 ? value.toFixed(1) : value.toPrecision(2))
const rate = (t: StepTiming) => `${figure(t.imagesPerSecond.wall)} img/s`
const rateCpu = (t: StepTiming) => `${figure(t.imagesPerSecond.cpu)} img/s`
const step = (t: StepTiming) => `${(t.wall.median / 1000).toFixed(2)} s`
const vsPytorch = (t: StepTiming) => `${figure(t.imagesPerSecond.wall / PYTORCH_IMAGES_PER_SECOND)}×`
const vsCpu = (t: StepTiming) => `${figure(t.imagesPerSecond.wall / cpu.imagesPerSecond.wall)}×`
const seedRows = [
  ['wasm + training kernels', wasm],
  ['wasm + training kernels', wasmSmall],
  ['wasm + missing kernels only (built-in dX, MaxPoolGrad, Sum, MatMul)', wasmAddedOnly],
  ['cpu backend (pure JS)', cpu],
] as const
const markdown = [
  `### Seed CNN, 150×150, training (\`trainOnBatch\`, SGD momentum 0.9)`,
  '',
  table(
    [
      'backend',
      'batch',
      'step (median)',
      'images/s',
      'images/s (CPU time)',
      'vs cpu backend',
      'vs PyTorch (41 img/s)',
    ],
    seedRows.map(([label, t]) => [label, t.batch, step(t), rate(t), rateCpu(t), vsCpu(t), vsPytorch(t)]),
  ),
  '',
  `Goal ≥ ${GOAL} img/s (about half of native PyTorch on one thread): **${wasm.imagesPerSecond.wall >= GOAL ? 'met' : 'not met'}** at ${rate(wasm)} (${rateCpu(wasm)} by CPU time). Without the training kernels the wasm backend cannot train a convolution at all (\`Kernel 'Conv2DBackpropFilter' not registered\`).`,
  '',
  '### MobileNetV2 α0.35, 224×224, batch 32: fine-tuning the top block on wasm',
  '',
  table(
    [
      'what',
      'step (median)',
      'images/s',
      'images/s (CPU time)',
      'frozen trunk (last step)',
      'trainable parameters',
    ],
    [
      [
        'block_16 + Conv_1 (+ BatchNorm) + 2-class head',
        step(fineTune),
        rate(fineTune),
        rateCpu(fineTune),
        `${(lastTrunkMs / 1000).toFixed(2)} s`,
        trainable.toLocaleString('en-US'),
      ],
    ],
  ),
].join('\n')

const method = [
  `Random inputs, alternating labels; warm-up steps, then the median of ${STEPS.timed} timed steps (${STEPS.cpuTimed} on the cpu backend, ${Math.max(2, STEPS.timed >> 1)} for the missing-kernels-only row), tfjs ${tf.version_core}, wasm backend with SIMD on one thread (tfjs-backend-wasm runs single-threaded in Node).`,
  'Images/s come from the median wall time per step and, in their own column, from the median process CPU time per step (the machine is shared; one busy thread is all wasm uses).',
  'The cpu backend is timed at batch 2 because one batch-32 step takes about 10 minutes there; its images/s hardly depend on the batch (the convolutions dominate), and wasm at batch 2 is listed for a same-batch ratio.',
  `The PyTorch figure is quoted, not measured here: ${PYTORCH_IMAGES_PER_SECOND} img/s for native PyTorch on one thread on this machine (from the notes' measurements of the same network, batch 32).`,
  `Training kernels: ${WASM_TRAINING_KERNELS.added.join(', ')} added; ${WASM_TRAINING_KERNELS.replaced.join(', ')} replaced (@whisker/model-core/kernels).`,
  'MobileNetV2: the pretrained α0.35 backbone, cut before block_16; that trunk runs in inference mode each step (frozen, so no gradient flows through it) and the top block (block_16 expand/depthwise/project, Conv_1, their BatchNorms, in training mode) plus global average pooling and a 2-class dense head train with SGD momentum 0.9. A step is trunk.predict + trainOnBatch on the top; running the whole graph under the gradient tape at batch 32 instead exceeds the wasm backend’s 4 GiB heap.',
]

const path = await writeResult({
  suite: 'training',
  title: 'Training on the CPU: the wasm backend with training kernels',
  method,
  markdown,
  figures: {
    seedCnn: { wasm, wasmBatch2: wasmSmall, wasmAddedKernelsOnly: wasmAddedOnly, cpuBatch2: cpu },
    ratios: {
      wasmVsCpu: wasm.imagesPerSecond.wall / cpu.imagesPerSecond.wall,
      wasmVsPytorch: wasm.imagesPerSecond.wall / PYTORCH_IMAGES_PER_SECOND,
      kernelsVsAddedOnly: wasm.imagesPerSecond.wall / wasmAddedOnly.imagesPerSecond.wall,
    },
    pytorchImagesPerSecond: PYTORCH_IMAGES_PER_SECOND,
    goalImagesPerSecond: GOAL,
    mobilenetV2FineTune: { ...fineTune, trunkMsLastStep: lastTrunkMs, trainableParameters: trainable },
    kernels: WASM_TRAINING_KERNELS,
  },
})
console.log(markdown)
console.error(`written ${path}`)
