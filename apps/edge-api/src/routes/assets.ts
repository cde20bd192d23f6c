import type { Context } from 'hono'
import type { AppEnv } from '../env.ts'
import { onNotFound } from '../errors.ts'

/**
 * Everything that is not an API route: the web page and its files, from the ASSETS binding (apps/web/dist).
 * The asset server's response is copied, because its headers are immutable and the middleware around this
 * adds the security headers, X-Request-Id and Server-Timing. Unknown `/v1/` paths stay API 404 problems.
 */
export async function serveAsset(c: Context<AppEnv>): Promise<Response> {
  if (c.req.path.startsWith('/v1/')) return onNotFound(c)
  const asset = await c.env.ASSETS.fetch(c.req.raw)
  return new Response(asset.body, asset)
}
