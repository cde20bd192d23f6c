import { IMAGE_PROBLEMS, type ProblemCode } from '@whisker/api-contract'
import { PreprocessError } from '@whisker/preprocess'
import type { Context, ErrorHandler, NotFoundHandler } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { PROBLEM_TYPE_BASE } from './config.ts'
import type { AppEnv } from './env.ts'

/** An RFC 9457 problem details body, plus our `code`, `requestId` and (in a batch) `index` members. */
export interface Problem {
  type: string
  title: string
  status: ContentfulStatusCode
  detail: string
  code: ProblemCode
  requestId: string
  /** Which image of a multipart batch (0-based, in field order) the problem is about. */
  index?: number
}

/** A client mistake the Worker finds itself (not in the image), e.g. a malformed query parameter. */
export class ClientProblem extends Error {
  readonly status: ContentfulStatusCode
  readonly code: ProblemCode
  readonly title: string
  /** Sent with the problem, e.g. `Retry-After` on a 429 or `WWW-Authenticate` on a 401. */
  readonly headers: Readonly<Record<string, string>>
  constructor(
    status: ContentfulStatusCode,
    code: ProblemCode,
    title: string,
    detail: string,
    headers: Record<string, string> = {},
  ) {
    super(detail)
    this.name = 'ClientProblem'
    this.status = status
    this.code = code
    this.title = title
    this.headers = headers
  }
}

/** An image of a multipart batch was refused: the image's own problem, saying which image it was. */
export class BatchImageError extends Error {
  readonly index: number
  readonly problem: PreprocessError
  constructor(index: number, problem: PreprocessError) {
    super(problem.message, { cause: problem })
    this.name = 'BatchImageError'
    this.index = index
    this.problem = problem
  }
}

export function problemResponse(
  c: Context<AppEnv>,
  problem: Omit<Problem, 'type' | 'requestId'>,
  headers: Record<string, string> = {},
): Response {
  const { title, status, detail, code, index } = problem
  const type = `${PROBLEM_TYPE_BASE}${code.toLowerCase().replaceAll('_', '-')}`
  const body: Problem = { type, title, status, detail, code, requestId: c.get('requestId') }
  if (index !== undefined) body.index = index
  return c.body(JSON.stringify(body), problem.status, {
    ...headers,
    'Content-Type': 'application/problem+json',
  })
}

/**
 * Client mistakes become 4xx problems with the decoder's or route's own message; anything else is our bug:
 * a 500 whose body says nothing internal, and one JSON log line (found by requestId) that says everything.
 */
export const onError: ErrorHandler<AppEnv> = (error, c) => {
  if (error instanceof PreprocessError) {
    return problemResponse(c, { ...IMAGE_PROBLEMS[error.code], detail: error.message, code: error.code })
  }
  if (error instanceof BatchImageError) {
    const { index, problem } = error
    return problemResponse(c, {
      ...IMAGE_PROBLEMS[problem.code],
      detail: `Image ${index} (0-based, in field order): ${problem.message}`,
      code: problem.code,
      index,
    })
  }
  if (error instanceof ClientProblem) {
    const { status, title, code, message, headers } = error
    return problemResponse(c, { status, title, detail: message, code }, { ...headers })
  }
  if (error instanceof HTTPException && error.status < 500) {
    const { status, message } = error
    return problemResponse(c, {
      status,
      title: 'Bad request',
      detail: message || 'Bad request.',
      code: 'HTTP_ERROR',
    })
  }
  console.error(
    JSON.stringify({
      level: 'error',
      msg: 'unhandled error',
      requestId: c.get('requestId'),
      method: c.req.method,
      path: c.req.path,
      error:
        error instanceof Error ? { name: error.name, message: error.message, stack: error.stack } : error,
    }),
  )
  return problemResponse(c, {
    status: 500,
    title: 'Internal error',
    detail: 'Something went wrong on our side. Quote the requestId if you report it.',
    code: 'INTERNAL',
  })
}

export const onNotFound: NotFoundHandler<AppEnv> = (c) =>
  problemResponse(c, {
    status: 404,
    title: 'Not found',
    detail: `No route for ${c.req.method} ${c.req.path}.`,
    code: 'NOT_FOUND',
  })

/** A known path asked with the wrong method: 405 with `Allow`, so the mistake is named, not a bare 404. */
export const methodNotAllowed =
  (allow: string) =>
  (c: Context<AppEnv>): Response =>
    problemResponse(
      c,
      {
        status: 405,
        title: 'Method not allowed',
        detail: `${c.req.path} answers ${allow}, not ${c.req.method}.`,
        code: 'METHOD_NOT_ALLOWED',
      },
      { Allow: allow },
    )
