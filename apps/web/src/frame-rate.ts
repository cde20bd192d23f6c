/**
 * Frames classified per second over the last `windowMs`: what the live camera shows and the e2e tests
 * report. A sliding window rather than the last interval, so one slow frame does not make it jump.
 */
export class FrameRate {
  readonly #windowMs: number
  #times: number[] = []

  constructor(windowMs = 2000) {
    this.#windowMs = windowMs
  }

  /** A frame finished at `now` (ms, e.g. performance.now()). */
  tick(now: number): void {
    this.#times.push(now)
    const oldest = now - this.#windowMs
    while (this.#times.length > 2 && (this.#times[0] as number) < oldest) this.#times.shift()
  }

  /** Undefined until two frames have finished. */
  perSecond(): number | undefined {
    const first = this.#times[0]
    const last = this.#times.at(-1)
    if (first === undefined || last === undefined || last <= first) return undefined
    return ((this.#times.length - 1) * 1000) / (last - first)
  }

  reset(): void {
    this.#times = []
  }
}
