import { createMiddleware } from 'hono/factory'
import { presentedKey } from '../api-keys.ts'
import type { AppEnv } from '../env.ts'
import { ClientProblem } from '../errors.ts'

/** With `API_KEYS` set, the API answers only callers whose key identifyCaller verified; otherwise it is open. */
export const requireApiKey = createMiddleware<AppEnv>(async (c, next) => {
  if (c.get('config').apiKeys.length > 0 && !c.get('caller').authenticated) {
    const sent = presentedKey(c.req.raw.headers) !== undefined
    throw new ClientProblem(
      401,
      'UNAUTHORIZED',
      'Unauthorized',
      sent
        ? 'The API key is not valid.'
        : 'This API needs a key: send `Authorization: Bearer <key>` or `X-Api-Key: <key>`.',
      { 'WWW-Authenticate': 'Bearer realm="whisker"' },
    )
  }
  await next()
})
