import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { MODEL_FILES, type ModelCard, parseModelCard } from '@whisker/model-core'
import { writeAtomically } from '@whisker/model-core/training'
import sharp from 'sharp'
import { percent } from '../core/format.ts'
import { type Evaluation, evaluatePredictions, predictedClass } from '../core/metrics.ts'
import { displayPath } from '../paths.ts'
import { type EpochRecord, RUN_FILES, type RunRecord, type ValidationPrediction } from '../run/records.ts'
import { formatEstimate } from '../train/estimate.ts'
import { describeChange } from '../train/export-graph.ts'
import { bestEpoch, confusionSpec, curveSpec, renderSvg, rocSpec } from './charts.ts'
import { type MistakeExplainer, openMistakeExplainer } from './explain.ts'

export interface ReportInput {
  run: RunRecord
  history: EpochRecord[]
  predictions: ValidationPrediction[]
  card: ModelCard
  /** Draws heatmaps beside the mistakes; without it they are shown as photos alone. */
  explainer?: MistakeExplainer
}

/** How many of the most confident mistakes the report shows, and their thumbnail side in pixels. */
export const MISTAKES_SHOWN = 12
export const THUMBNAIL_SIZE = 96

/** A run directory the report cannot be made from (missing or unparsable run.json or card). */
export class RunDirError extends Error {
  readonly code = 'RUN_INVALID'
  constructor(message: string) {
    super(message)
    this.name = 'RunDirError'
  }
}

/**
 * Writes `report.html` into a run directory from its records (run.json, history.json, predictions.json)
 * and the exported model's card (model/card.json). A run without history or predictions (stopped early)
 * still gets a report, with those sections saying so. Returns the report's path.
 */
export async function writeReport(runDir: string): Promise<string> {
  const run = await readJson<RunRecord>(join(runDir, RUN_FILES.run))
  const card = parseModelCard(await readJson(join(runDir, RUN_FILES.model, MODEL_FILES.card)))
  const history = (await readJson<EpochRecord[]>(join(runDir, RUN_FILES.history), [])) ?? []
  const predictions = (await readJson<ValidationPrediction[]>(join(runDir, RUN_FILES.predictions), [])) ?? []
  const path = join(runDir, RUN_FILES.report)
  // Heatmaps only when there is something to explain: loading the model costs a second.
  const explainer = mostConfidentMistakes(predictions, 1).length
    ? await openMistakeExplainer(join(runDir, RUN_FILES.model))
    : undefined
  try {
    await writeAtomically(path, await renderReport({ run, history, predictions, card, explainer }))
  } finally {
    explainer?.dispose()
  }
  return path
}

async function readJson<T>(path: string, fallback?: T): Promise<T> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    if (fallback !== undefined && (error as NodeJS.ErrnoException).code === 'ENOENT') return fallback
    throw new RunDirError(`Cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`)
  }
  try {
    return JSON.parse(text) as T
  } catch (error) {
    throw new RunDirError(`${path} is not valid JSON: ${(error as Error).message}`)
  }
}

/** One self-contained HTML page: inline CSS, inline SVG charts, thumbnails as data URLs, no scripts. */
export async function renderReport(input: ReportInput): Promise<string> {
  const { run, history, predictions, card, explainer } = input
  const evaluation = predictions.length
    ? evaluatePredictions(
        predictions.map((p) => p.probabilities),
        predictions.map((p) => p.truth),
        card.labels,
      )
    : undefined
  const [lossChart, accuracyChart, confusionChart, rocChart, mistakes] = await Promise.all([
    history.length ? renderSvg(curveSpec(history, 'loss')) : undefined,
    history.length ? renderSvg(curveSpec(history, 'acc')) : undefined,
    evaluation ? renderSvg(confusionSpec(card.labels, evaluation.confusion)) : undefined,
    evaluation ? renderSvg(rocSpec(evaluation.roc, evaluation.rocAuc, evaluation.positive)) : undefined,
    mistakeCards(predictions, card.labels, explainer),
  ])
  const title = `${card.name} · run ${run.id}`
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${CSS}</style>
</head>
<body>
<header>
<h1>${escapeHtml(card.name)} <span class="muted">${escapeHtml(card.version)}</span></h1>
<p class="muted">Run ${escapeHtml(run.id)} · ${escapeHtml(run.status)} · started ${escapeHtml(run.startedAt)}${run.wallSeconds !== undefined ? ` · ${run.wallSeconds.toFixed(1)} s` : ''} on ${escapeHtml(run.backend.name)}</p>
</header>
${tiles(card, evaluation)}
${modelSection(card)}
${datasetSection(run, card)}
<section id="training">
<h2>Training</h2>
${
  history.length
    ? `<p class="muted">${history.length} epochs; dashed line: the epoch with the lowest validation loss (${bestEpoch(history) ?? 'none'}).</p>
<div class="charts"><figure class="chart">${lossChart}</figure><figure class="chart">${accuracyChart}</figure></div>`
    : '<p class="muted">No epochs were recorded.</p>'
}
</section>
${validationSection(evaluation, predictions.length, confusionChart, rocChart)}
<section id="mistakes">
<h2>Most confident mistakes</h2>
${mistakes}
</section>
${optionsSection(run)}
<footer class="muted">Made by whisker from ${escapeHtml(RUN_FILES.run)}, ${escapeHtml(RUN_FILES.history)}, ${escapeHtml(RUN_FILES.predictions)} and ${escapeHtml(`${RUN_FILES.model}/${MODEL_FILES.card}`)}.</footer>
</body>
</html>
`
}

function tiles(card: ModelCard, evaluation: Evaluation | undefined): string {
  const tile = (label: string, value: string) =>
    `<div class="tile"><div class="value">${escapeHtml(value)}</div><div class="label">${escapeHtml(label)}</div></div>`
  const estimate = card.estimate
  if (!estimate) {
    return `<section class="tiles">
${tile('validation accuracy', percent(card.metrics.valAccuracy, 1))}
${tile('validation log loss', card.metrics.valLogLoss.toFixed(4))}
${tile('ROC AUC', evaluation?.rocAuc != null ? evaluation.rocAuc.toFixed(4) : '–')}
${tile('validation photos', String(card.metrics.valCount))}
</section>`
  }
  const [low, high] = estimate.accuracyInterval
  const [lossLow, lossHigh] = estimate.logLossInterval
  return `<section class="tiles">
${tile(`expected accuracy (95 %: ${percent(low, 1)}–${percent(high, 1)})`, percent(estimate.accuracy, 1))}
${tile(`expected log loss (95 %: ${lossLow.toFixed(3)}–${lossHigh.toFixed(3)})`, estimate.logLoss.toFixed(4))}
${tile('ROC AUC', evaluation?.rocAuc != null ? evaluation.rocAuc.toFixed(4) : '–')}
${tile(estimate.method === 'cross-validation' ? `photos, ${estimate.folds}-fold cross-validated` : 'sealed photos', String(estimate.count))}
</section>`
}

function modelSection(card: ModelCard): string {
  const rows: [string, string][] = [
    ['labels', card.labels.join(', ')],
    ['version', card.version],
    ['created', card.createdAt],
    [
      'architecture',
      `${card.architecture.kind}${card.architecture.backbone ? ` on ${card.architecture.backbone}` : ''}: ${card.architecture.head}`,
    ],
    ['input', `${card.input.shape.join(' × ')}, ${card.input.resize.mode}, ${card.input.resize.filter}`],
    ['quantization', card.quantization],
    [
      'calibration',
      card.calibration
        ? `temperature ${card.calibration.temperature.toFixed(3)} (fitted on the ${card.calibration.fittedOn})`
        : 'none',
    ],
    [
      'heatmaps',
      card.explain
        ? `${METHOD_NAMES[card.explain.method] ?? card.explain.method} from ${card.explain.featureNode} (${card.explain.grid.join(' × ')}) to ${card.explain.scoreNode}`
        : 'not recorded in the card',
    ],
    card.estimate
      ? ['expected on new photos', `${formatEstimate(card.estimate)}: ${card.estimate.how}`]
      : [
          'metrics',
          `accuracy ${percent(card.metrics.valAccuracy, 1)}, log loss ${card.metrics.valLogLoss.toFixed(4)} on ${card.metrics.valCount} validation photos that also chose the epochs and temperature (exported graph)`,
        ],
    [
      'served against float32',
      card.exportFidelity
        ? `${describeChange(card.exportFidelity)}, on ${card.exportFidelity.count} training photos`
        : 'the float32 graph itself',
    ],
    [
      'training',
      `${card.training.trainCount} training photos, ${card.training.epochs} epochs, seed ${card.training.seed}, ${card.training.wallSeconds} s`,
    ],
  ]
  return `<section id="model">
<h2>Model card</h2>
<dl>${rows.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join('')}</dl>
</section>`
}

function datasetSection(run: RunRecord, card: ModelCard): string {
  const { dataset } = run
  const labels = [...new Set([...dataset.labels, ...Object.keys(dataset.classCounts)])]
  const counts = labels
    .map(
      (label) =>
        `<tr><td>${escapeHtml(label)}</td><td class="num">${dataset.classCounts[label] ?? 0}</td><td class="num">${card.training.classCounts[label] ?? 0}</td></tr>`,
    )
    .join('')
  const skipped = dataset.skipped.length
    ? `<details${dataset.skipped.length <= 10 ? ' open' : ''}><summary>${dataset.skipped.length} skipped ${dataset.skipped.length === 1 ? 'file' : 'files'}</summary>
<table><thead><tr><th>file</th><th>reason</th></tr></thead><tbody>${dataset.skipped
        .map((s) => `<tr><td>${escapeHtml(s.name)}</td><td>${escapeHtml(s.reason)}</td></tr>`)
        .join('')}</tbody></table></details>`
    : '<p class="muted">No files were skipped.</p>'
  return `<section id="dataset">
<h2>Dataset</h2>
<p><code>${escapeHtml(displayPath(dataset.root))}</code>: ${dataset.train} photos for training, ${dataset.val} for validation.</p>
<table><thead><tr><th>class</th><th class="num">photos in the folder</th><th class="num">used for training</th></tr></thead><tbody>${counts}</tbody></table>
${skipped}
</section>`
}

function validationSection(
  evaluation: Evaluation | undefined,
  count: number,
  confusionChart: string | undefined,
  rocChart: string | undefined,
): string {
  if (!evaluation)
    return '<section id="validation"><h2>Validation</h2><p class="muted">No validation predictions were recorded.</p></section>'
  const f = (x: number) => x.toFixed(4)
  const rows = evaluation.perClass
    .map(
      (c) =>
        `<tr><td>${escapeHtml(c.label)}</td><td class="num">${f(c.precision)}</td><td class="num">${f(c.recall)}</td><td class="num">${f(c.f1)}</td><td class="num">${c.support}</td></tr>`,
    )
    .join('')
  const { macro } = evaluation
  return `<section id="validation">
<h2>Validation</h2>
<p>${count} photos, scored by the exported model: accuracy ${percent(evaluation.accuracy, 1)}, log loss ${evaluation.logLoss.toFixed(4)}, ROC AUC ${evaluation.rocAuc === null ? 'undefined' : evaluation.rocAuc.toFixed(4)}.</p>
<table><thead><tr><th>class</th><th class="num">precision</th><th class="num">recall</th><th class="num">F1</th><th class="num">photos</th></tr></thead>
<tbody>${rows}<tr class="macro"><td>macro mean</td><td class="num">${f(macro.precision)}</td><td class="num">${f(macro.recall)}</td><td class="num">${f(macro.f1)}</td><td></td></tr></tbody></table>
<div class="charts"><figure class="chart">${confusionChart}</figure><figure class="chart">${rocChart}</figure></div>
</section>`
}

/** The wrong predictions the model was surest of, as thumbnails with their true and predicted class. */
async function mistakeCards(
  predictions: readonly ValidationPrediction[],
  labels: readonly string[],
  explainer: MistakeExplainer | undefined,
): Promise<string> {
  if (predictions.length === 0) return '<p class="muted">No validation predictions were recorded.</p>'
  const mistakes = mostConfidentMistakes(predictions, MISTAKES_SHOWN)
  if (mistakes.length === 0)
    return `<p>None: all ${predictions.length} validation photos were classified correctly.</p>`
  const total = predictions.filter((p) => predictedClass(p.probabilities) !== p.truth).length
  const method = explainer ? (METHOD_NAMES[explainer.method] ?? explainer.method) : undefined
  // One at a time: the explainer runs the model, which is not worth overlapping.
  const figures: string[] = []
  for (const m of mistakes) {
    const image = await thumbnail(m.prediction.path)
    const chosen = escapeHtml(labels[m.predicted] ?? String(m.predicted))
    const heat =
      image && explainer ? await explainer.overlay(m.prediction.path, m.predicted, THUMBNAIL_SIZE) : undefined
    const picture = image
      ? `<img class="photo" src="${image}" width="${THUMBNAIL_SIZE}" height="${THUMBNAIL_SIZE}" alt="${escapeHtml(m.prediction.name)}">`
      : `<div class="missing">photo not found</div>`
    const overlay = heat
      ? `<img class="heatmap" src="${heat}" width="${THUMBNAIL_SIZE}" height="${THUMBNAIL_SIZE}" alt="where it looked for ${chosen}" title="where it looked for ${chosen} (${method})">`
      : ''
    figures.push(
      `<figure class="mistake"><div class="pictures">${picture}${overlay}</div><figcaption><b>${escapeHtml(labels[m.predicted] ?? String(m.predicted))}</b> ${percent(m.confidence, 1)}<br>true: ${escapeHtml(labels[m.prediction.truth] ?? String(m.prediction.truth))}<br><span class="muted name" title="${escapeHtml(m.prediction.name)}">${escapeHtml(m.prediction.name)}</span></figcaption></figure>`,
    )
  }
  const heatmaps = method
    ? ` Beside each photo, where the model looked when it chose the wrong class (${method} on the exported model: warm colours counted most), over the part of the photo it saw.`
    : ''
  return `<p class="muted">${mistakes.length === total ? `All ${total}` : `${mistakes.length} of ${total}`} misclassified validation photos, most confident first: predicted class and its probability, then the true class.${heatmaps}</p>
<div class="mistakes">${figures.join('\n')}</div>`
}

export interface Mistake {
  prediction: ValidationPrediction
  predicted: number
  /** The probability of the (wrong) predicted class. */
  confidence: number
}

/** Misclassified predictions, highest probability of the wrong class first (ties by name). */
export function mostConfidentMistakes(
  predictions: readonly ValidationPrediction[],
  limit: number,
): Mistake[] {
  return predictions
    .map((prediction) => {
      const predicted = predictedClass(prediction.probabilities)
      return { prediction, predicted, confidence: prediction.probabilities[predicted]! }
    })
    .filter((m) => m.predicted !== m.prediction.truth)
    .sort((a, b) => b.confidence - a.confidence || (a.prediction.name < b.prediction.name ? -1 : 1))
    .slice(0, limit)
}

/** A small centre-cropped JPEG as a data URL (EXIF orientation applied), or undefined if unreadable. */
export async function thumbnail(path: string): Promise<string | undefined> {
  try {
    const jpeg = await sharp(path)
      .rotate()
      .resize(THUMBNAIL_SIZE, THUMBNAIL_SIZE, { fit: 'cover' })
      .jpeg({ quality: 75 })
      .toBuffer()
    return `data:image/jpeg;base64,${jpeg.toString('base64')}`
  } catch {
    return undefined
  }
}

function optionsSection(run: RunRecord): string {
  const options = Object.entries(run.options)
  const skipped = run.backend.skipped.map((s) => `${s.choice}: ${s.reason}`)
  return `<section id="options">
<h2>Run</h2>
<dl>
<dt>status</dt><dd>${escapeHtml(run.status)}</dd>
<dt>started</dt><dd>${escapeHtml(run.startedAt)}</dd>
${run.finishedAt ? `<dt>finished</dt><dd>${escapeHtml(run.finishedAt)}</dd>` : ''}
<dt>backend</dt><dd>${escapeHtml(run.backend.name)}${skipped.length ? ` (passed over: ${escapeHtml(skipped.join('; '))})` : ''}</dd>
${run.modelDir ? `<dt>model folder</dt><dd><code>${escapeHtml(displayPath(run.modelDir))}</code></dd>` : ''}
</dl>
${
  options.length
    ? `<table><thead><tr><th>option</th><th>value</th></tr></thead><tbody>${options
        .map(
          ([k, v]) =>
            `<tr><td><code>${escapeHtml(k)}</code></td><td><code>${escapeHtml(JSON.stringify(v) ?? 'undefined')}</code></td></tr>`,
        )
        .join('')}</tbody></table>`
    : ''
}
</section>`
}

const METHOD_NAMES: Record<string, string> = { 'grad-cam': 'Grad-CAM', cam: 'CAM (class activation map)' }

/** Escapes text for HTML element content and double-quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  )
}

const CSS = `
:root { color-scheme: light; --fg: #111827; --muted: #6b7280; --line: #e5e7eb; --bg: #ffffff; --panel: #f9fafb; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1100px; padding: 24px; font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; color: var(--fg); background: var(--bg); }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 32px 0 8px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
.muted { color: var(--muted); font-weight: normal; }
code { font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.tiles { display: flex; flex-wrap: wrap; gap: 12px; margin: 20px 0; }
.tile { flex: 1 1 160px; padding: 12px 16px; background: var(--panel); border: 1px solid var(--line); border-radius: 8px; }
.tile .value { font-size: 24px; font-weight: 600; font-variant-numeric: tabular-nums; }
.tile .label { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 0; }
dt { color: var(--muted); }
dd { margin: 0; }
table { border-collapse: collapse; margin: 8px 0; }
th, td { padding: 4px 12px 4px 0; text-align: left; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.macro td { font-weight: 600; }
details summary { cursor: pointer; margin: 8px 0; }
.charts { display: flex; flex-wrap: wrap; gap: 24px; align-items: flex-start; }
figure { margin: 0; }
.chart svg { max-width: 100%; height: auto; }
.mistakes { display: grid; grid-template-columns: repeat(auto-fill, minmax(${2 * THUMBNAIL_SIZE + 24}px, 1fr)); gap: 16px; }
.mistake .pictures { display: flex; gap: 4px; }
.mistake img, .mistake .missing { display: block; width: ${THUMBNAIL_SIZE}px; height: ${THUMBNAIL_SIZE}px; border-radius: 6px; object-fit: cover; }
.mistake .missing { display: flex; align-items: center; justify-content: center; text-align: center; font-size: 11px; color: var(--muted); background: var(--panel); border: 1px dashed var(--line); }
.mistake figcaption { font-size: 12px; margin-top: 4px; }
.mistake .name { display: block; max-width: ${2 * THUMBNAIL_SIZE}px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
footer { margin-top: 40px; font-size: 12px; }
@media print { body { padding: 0; } h2 { break-after: avoid; } .charts, .mistake { break-inside: avoid; } }
`
