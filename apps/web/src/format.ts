import type { Classification, ModelCard } from './api.ts'

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

/** A duration in whole milliseconds: `123.4` → `123 ms`, `1234` → `1,234 ms`. */
export function formatLatency(ms: number): string {
  const rounded = Math.round(Math.max(0, ms))
  return rounded === 0 ? '<1 ms' : `${rounded.toLocaleString('en-US')} ms`
}

/** Long versions (content hashes) cut to their first `length` characters. */
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
  readonly version: string
  readonly versionFull: string
}

export function describeClassification(result: Classification, latencyMs: number): ResultView {
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
  return {
    label,
    confidence,
    summary: `${label}, ${confidence} confident`,
    bars,
    latency: formatLatency(latencyMs),
    version: shortVersion(result.model.version),
    versionFull: result.model.version,
  }
}

/** One line about the served model: `Knows Cat and Dog · model abc123def456… · 97% accurate on validation photos`. */
export function describeModel(card: ModelCard): string {
  const labels = new Intl.ListFormat('en', { type: 'conjunction' }).format(card.labels.map(formatLabel))
  const parts = [`Knows ${labels}`, `model ${shortVersion(card.version)}`]
  const accuracy = card.metrics?.valAccuracy
  if (accuracy !== undefined) parts.push(`${formatPercent(accuracy)} accurate on validation photos`)
  return parts.join(' · ')
}
