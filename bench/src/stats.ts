/** Summary of repeated timings. Medians, not means: these machines are shared and noisy. */
export interface TimingSummary {
  runs: number
  median: number
  p95: number
  min: number
  max: number
}

export function summarize(samples: readonly number[]): TimingSummary {
  if (samples.length === 0) throw new RangeError('summarize needs at least one sample')
  const sorted = [...samples].sort((a, b) => a - b)
  return {
    runs: sorted.length,
    median: quantile(sorted, 0.5),
    p95: quantile(sorted, 0.95),
    min: sorted[0]!,
    max: sorted.at(-1)!,
  }
}

/** Linear interpolation between closest ranks (the common "type 7" definition). */
export function quantile(sorted: readonly number[], q: number): number {
  const position = (sorted.length - 1) * q
  const lower = Math.floor(position)
  const upper = Math.ceil(position)
  return sorted[lower]! + (sorted[upper]! - sorted[lower]!) * (position - lower)
}

/** Times `fn` `runs` times after `warmup` untimed calls; milliseconds per call. */
export async function time(fn: () => unknown, runs: number, warmup = 2): Promise<TimingSummary> {
  for (let i = 0; i < warmup; i++) await fn()
  const samples: number[] = []
  for (let i = 0; i < runs; i++) {
    const started = performance.now()
    await fn()
    samples.push(performance.now() - started)
  }
  return summarize(samples)
}
