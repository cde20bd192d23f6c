/** Runs `work` and measures it: [result, milliseconds]. Deployed, Workers timers only advance across I/O. */
export async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const started = performance.now()
  const result = await work()
  return [result, performance.now() - started]
}

/** Milliseconds to one decimal, for JSON bodies and logs. */
export const roundMs = (ms: number): number => Math.round(ms * 10) / 10
