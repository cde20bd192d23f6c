import { ClientProblem } from './errors.ts'

/** `?topK=` — how many predictions to return. Absent means all classes; more than there are is capped. */
export function parseTopK(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined
  const topK = /^\d{1,4}$/.test(raw) ? Number(raw) : 0
  if (topK < 1) {
    throw new ClientProblem(
      400,
      'INVALID_QUERY',
      'Invalid query parameter',
      '`topK` must be a positive integer.',
    )
  }
  return topK
}
