import type { Classification, Explanation, ModelCard } from './api.ts'
import type { Size } from './downscale.ts'
import type { Where } from './history.ts'

/** A model label in words: `cat` → `Cat`, `golden_retriever` → `Golden retriever`. */
export function formatLabel(label: string): string {
  const words = label.replace(/[_-]+/g, ' ').replace(/\s+/g, ' ').trim()
  return words.charAt(0).toUpperCase() + words.slice(1)
}

/**
 * A probability as a whole percentage: `0.981` → `98%`. Never claims certainty the model did not give:
 * anything above 0 shows as at least `<1%`, anything below 1 as at most `>99%`.
 */
export function formatPercent(probability: number): string {
  const p = Math.min(1, Math.max(0, probability))
  const rounded = Math.round(p * 100)
  if (p > 0 && rounded === 0) return '<1%'
  if (p < 1 && rounded === 100) return '>99%'
  return `${rounded}%`
}

/** A share to a tenth of a percent, `0.9863` → `98.6%`: estimates differ in tenths, not whole points. */
function tenths(share: number): string {
  return `${(share * 100).toFixed(1)}%`
}

/** A duration in whole milliseconds: `123.4` → `123 ms`, `1234` → `1,234 ms`. */
export function formatLatency(ms: number): string {
  const rounded = Math.round(Math.max(0, ms))
  return rounded === 0 ? '<1 ms' : `${rounded.toLocaleString('en-US')} ms`
}

/** A byte count the way phones show data use: `870 B`, `4.2 kB`, `48 kB`, `3.1 MB` (SI units). */
export function formatBytes(bytes: number): string {
  const n = Math.max(0, Math.round(bytes))
  if (n < 1000) return `${n} B`
  const [value, unit] = n < 1_000_000 ? [n / 1000, 'kB'] : [n / 1_000_000, 'MB']
  const digits = value < 10 ? 1 : 0
  return `${value.toFixed(digits)} ${unit}`
}

/** A training date in words, e.g. `25 Nov 2026` (UTC, so it reads the same everywhere). */
export function formatDate(iso: string): string | undefined {
  const time = Date.parse(iso)
  if (Number.isNaN(time)) return undefined
  return new Intl.DateTimeFormat('en-GB', {
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    timeZone: 'UTC',
  }).format(time)
}

/** A time of day for the recent list, e.g. `14:05`, in the reader's own time zone unless one is given. */
export function formatClock(at: number, timeZone?: string): string {
  return new Intl.DateTimeFormat('en-GB', {
    hour: '2-digit',
    minute: '2-digit',
    ...(timeZone === undefined ? {} : { timeZone }),
  }).format(at)
}

/** Long versions (content hashes) cut to their first `length` characters. */
/** `12 frames a second`, with one decimal below 10 (`4.5 frames a second`). */
export function formatFrameRate(perSecond: number): string {
  const value = perSecond < 10 ? perSecond.toFixed(1) : String(Math.round(perSecond))
  return `${value} frames a second`
}

export function shortVersion(version: string, length = 12): string {
  return version.length > length ? `${version.slice(0, length)}…` : version
}

export interface BarView {
  readonly label: string
  readonly percent: string
  /** Bar length in [0, 1]. */
  readonly fraction: number
  /** This bar is the model's answer. */
  readonly isAnswer: boolean
}

/** Everything the page shows for one answer, already in words. */
export interface ResultView {
  readonly label: string
  readonly confidence: string
  /** One sentence for screen readers and the status line, e.g. `Cat, 98% confident`. */
  readonly summary: string
  /** One bar per class, highest score first. */
  readonly bars: readonly BarView[]
  readonly latency: string
  /** How long it took and where, e.g. `48 ms round trip` or `120 ms on this device`. */
  readonly timing: string
  readonly version: string
  readonly versionFull: string
}

/**
 * `latencyMs` is the round trip of the request that carried the photo (or the time on this device);
 * `batchSize` is how many photos that request carried.
 */
export function describeClassification(
  result: Classification,
  latencyMs: number,
  where: Where = 'server',
  batchSize = 1,
): ResultView {
  const label = formatLabel(result.label)
  const confidence = formatPercent(result.confidence)
  const bars = [...result.predictions]
    .sort((a, b) => b.score - a.score)
    .map((p) => ({
      label: formatLabel(p.label),
      percent: formatPercent(p.score),
      fraction: p.score,
      isAnswer: p.label === result.label,
    }))
  const latency = formatLatency(latencyMs)
  return {
    label,
    confidence,
    summary: `${label}, ${confidence} confident`,
    bars,
    latency,
    timing:
      where === 'device'
        ? `${latency} on this device`
        : batchSize > 1
          ? `${latency} round trip for ${batchSize} photos`
          : `${latency} round trip`,
    version: shortVersion(result.model.version),
    versionFull: result.model.version,
  }
}

/**
 * What was sent, to show the data saved: `Sent 512 × 384, 48 kB (photo was 3.1 MB)`; nothing when the
 * photo was classified on this device (the timing already says so).
 */
export function describeUpload(
  upload: {
    readonly originalBytes: number
    readonly sentBytes: number
    readonly sent?: Size
    readonly reencoded: boolean
  },
  where: Where = 'server',
): string | undefined {
  if (where === 'device') return undefined
  const size = upload.sent === undefined ? '' : ` ${upload.sent.width} × ${upload.sent.height},`
  const sent = `Sent${size} ${formatBytes(upload.sentBytes)}`
  return upload.reencoded ? `${sent} (photo was ${formatBytes(upload.originalBytes)})` : sent
}

/** What the "where it looked" toggle shows, in words. */
export interface ExplanationView {
  readonly png: string
  /** The toggle's name; it stays the same and says pressed or not through aria-pressed. */
  readonly button: string
  /** Under the picture while it is shown. */
  readonly caption: string
  /** The heatmap's alternative text. */
  readonly alt: string
  /**
   * How the photo fits its square while the heatmap is shown, so that it shows exactly what the model
   * saw: `cover` crops the centred square (center-crop models), `fill` squeezes the whole photo (stretch).
   */
  readonly fit: 'cover' | 'fill'
}

const METHODS: Record<string, string> = { 'grad-cam': 'Grad-CAM', cam: 'class activation map' }

/** `photo` is the shown photo's size (upright), to tell a centred-square crop from the whole picture. */
export function describeExplanation(
  explain: Explanation,
  photo?: { readonly width: number; readonly height: number },
): ExplanationView {
  const label = formatLabel(explain.label)
  const method = METHODS[explain.method] ?? explain.method
  const { region } = explain
  const whole = photo !== undefined && region.width >= photo.width && region.height >= photo.height
  return {
    png: explain.png,
    button: 'Show where it looked',
    caption: `Warmer colours: where it looked most to say “${label}” (${method}).`,
    alt: `Heatmap of where the model looked to say ${label}`,
    fit: whole && photo.width !== photo.height ? 'fill' : 'cover',
  }
}

/** One row of the model card as shown: a term and its value in words. */
export interface CardRow {
  readonly term: string
  readonly value: string
  /** The full value, where `value` is shortened (the version hash). */
  readonly title?: string
}

/** The model card in words: version, classes, validation accuracy and, when known, backbone and date. */
export function describeModelCard(card: ModelCard): CardRow[] {
  const list = new Intl.ListFormat('en', { type: 'conjunction' })
  const rows: CardRow[] = [
    { term: 'Version', value: shortVersion(card.version), title: card.version },
    { term: `Classes (${card.labels.length})`, value: list.format(card.labels.map(formatLabel)) },
  ]
  const estimate = card.estimate
  if (estimate !== undefined) {
    const [low, high] = estimate.accuracyInterval
    const how =
      estimate.method === 'cross-validation'
        ? `${estimate.folds ?? 'k'}-fold cross-validation on ${estimate.count.toLocaleString('en-US')} photos`
        : `${estimate.count.toLocaleString('en-US')} photos set aside before training`
    rows.push({
      term: 'Expected accuracy on new photos',
      value: `${tenths(estimate.accuracy)} (95 % interval ${tenths(low)}–${tenths(high)}), from ${how}`,
    })
  } else {
    const { valAccuracy, valCount } = card.metrics
    rows.push({
      term: 'Validation accuracy',
      value:
        valCount === 0
          ? 'Not measured'
          : `${formatPercent(valAccuracy)} of ${valCount.toLocaleString('en-US')} validation photos`,
    })
  }
  const { backbone } = card.architecture
  if (backbone !== undefined) rows.push({ term: 'Built on', value: backbone })
  const trained = formatDate(card.createdAt)
  if (trained !== undefined) rows.push({ term: 'Trained', value: trained })
  return rows
}

/** One item of a batch once it has finished: its summary sentence, or the error shown for it. */
export type BatchItem = { readonly ok: true; readonly label: string } | { readonly ok: false }

/**
 * The sentence announced when a batch finishes: `Cat, 98% confident` for one photo (given as
 * `single`), `3 photos: Cat, Dog and Cat.` for several, with failures counted at the end.
 */
export function summarizeBatch(items: readonly BatchItem[], single?: string): string {
  if (items.length === 1 && single !== undefined) return single
  const labels = items.flatMap((item) => (item.ok ? [formatLabel(item.label)] : []))
  const failed = items.length - labels.length
  const photos = items.length === 1 ? '1 photo' : `${items.length} photos`
  const parts = [
    labels.length > 0 ? `${photos}: ${new Intl.ListFormat('en-GB').format(labels)}.` : `${photos}.`,
  ]
  if (failed > 0) parts.push(failed === 1 ? "1 couldn't be classified." : `${failed} couldn't be classified.`)
  return parts.join(' ')
}
