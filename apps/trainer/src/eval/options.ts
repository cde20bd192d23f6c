/** A flag value that contradicts the model (e.g. a --positive label it does not have). */
export class OptionError extends Error {
  readonly code = 'INVALID_OPTION'
  constructor(message: string) {
    super(message)
    this.name = 'OptionError'
  }
}

/** The index of the --positive label among the model's labels. */
export function positiveIndex(labels: readonly string[], label: string): number {
  const index = labels.indexOf(label)
  if (index < 0)
    throw new OptionError(`--positive ${label} is not one of the model's labels (${labels.join(', ')})`)
  return index
}
