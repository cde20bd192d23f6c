import cliProgress from 'cli-progress'

/** Where the trainer tells people what it is doing: a progress bar on a terminal, JSON lines otherwise. */
export interface Reporter {
  info(message: string, data?: Record<string, unknown>): void
  /** Starts a counted stage; returns the function that advances it. */
  stage(name: string, total: number): (done: number, metrics?: Record<string, number>) => void
}

export function createReporter(stream: NodeJS.WriteStream = process.stderr): Reporter {
  return stream.isTTY ? new TerminalReporter(stream) : new JsonLinesReporter(stream)
}

class TerminalReporter implements Reporter {
  readonly #stream: NodeJS.WriteStream
  constructor(stream: NodeJS.WriteStream) {
    this.#stream = stream
  }

  info(message: string): void {
    this.#stream.write(`${message}\n`)
  }

  stage(name: string, total: number) {
    const bar = new cliProgress.SingleBar(
      {
        format: `${name.padEnd(12)} {bar} {value}/{total} | ETA {eta_formatted} {metrics}`,
        stream: this.#stream,
      },
      cliProgress.Presets.shades_classic,
    )
    bar.start(total, 0, { metrics: '' })
    return (done: number, metrics?: Record<string, number>) => {
      bar.update(done, { metrics: metrics ? formatMetrics(metrics) : '' })
      if (done >= total) bar.stop()
    }
  }
}

class JsonLinesReporter implements Reporter {
  readonly #stream: NodeJS.WriteStream
  constructor(stream: NodeJS.WriteStream) {
    this.#stream = stream
  }

  info(message: string, data?: Record<string, unknown>): void {
    this.#write({ event: 'info', message, ...data })
  }

  stage(name: string, total: number) {
    const started = performance.now()
    let lastReported = 0
    return (done: number, metrics?: Record<string, number>) => {
      // One line per ~10 % keeps logs readable while still showing liveness.
      if (done < total && done - lastReported < Math.max(1, total / 10)) return
      lastReported = done
      const seconds = (performance.now() - started) / 1000
      this.#write({ event: 'progress', stage: name, done, total, seconds: round(seconds), ...metrics })
    }
  }

  #write(record: Record<string, unknown>): void {
    this.#stream.write(`${JSON.stringify(record)}\n`)
  }
}

function formatMetrics(metrics: Record<string, number>): string {
  return Object.entries(metrics)
    .map(([k, v]) => `${k} ${round(v)}`)
    .join(' ')
}

const round = (v: number) => Math.round(v * 1000) / 1000
