import { parseArgs } from 'node:util'

/** The flags every suite and the runner accept; unknown flags are an error, not silently ignored. */
export interface BenchFlags {
  data?: string
  models?: string
  quick: boolean
}

export function parseBenchFlags(argv: readonly string[]): BenchFlags {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      data: { type: 'string' },
      models: { type: 'string' },
      quick: { type: 'boolean', default: false },
    },
    strict: true,
    allowPositionals: false,
  })
  return { data: values.data, models: values.models, quick: values.quick ?? false }
}
