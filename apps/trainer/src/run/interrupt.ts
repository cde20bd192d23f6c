/**
 * Ctrl-C during training: the first SIGINT asks the run to stop at the next safe point (after the
 * current batch or epoch, with a checkpoint written); a second one exits at once.
 */
export interface StopSignal {
  readonly requested: boolean
  /** Throws StopRequested when a stop was asked for: call it at safe points. */
  checkpoint(): void
  dispose(): void
}

export class StopRequested extends Error {
  readonly code = 'INTERRUPTED'
  constructor() {
    super('Training was interrupted; resume it with `whisker train --resume`.')
    this.name = 'StopRequested'
  }
}

export function listenForStop(onFirst: () => void = () => {}): StopSignal {
  let requested = false
  const handler = () => {
    if (requested) process.exit(130)
    requested = true
    onFirst()
  }
  process.on('SIGINT', handler)
  process.on('SIGTERM', handler)
  return {
    get requested() {
      return requested
    },
    checkpoint() {
      if (requested) throw new StopRequested()
    },
    dispose() {
      process.off('SIGINT', handler)
      process.off('SIGTERM', handler)
    },
  }
}

/** For code paths (tests, library use) that never stop early. */
export const neverStop: StopSignal = { requested: false, checkpoint() {}, dispose() {} }
