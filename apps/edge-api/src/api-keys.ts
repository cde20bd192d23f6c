/**
 * API keys from the `API_KEYS` secret. A presented key is hashed and compared with every configured key's
 * hash by crypto.subtle.timingSafeEqual: the digests have a fixed length, so neither the comparison time nor
 * an early exit says how much of a guess was right, or how long the real keys are.
 */

const encoder = new TextEncoder()

async function sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(text)))
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
}

/** The configured keys' digests, computed once per key list (the Config of an isolate lives as long as it). */
const digestsOf = new WeakMap<readonly string[], Promise<Uint8Array[]>>()

/**
 * The id of the configured key equal to `presented` (the first 16 hex digits of its SHA-256, safe to log and
 * to key the rate limiter with), or undefined. Every configured key is compared, match or not.
 */
export async function matchApiKey(presented: string, keys: readonly string[]): Promise<string | undefined> {
  let digests = digestsOf.get(keys)
  if (!digests) {
    digests = Promise.all(keys.map(sha256))
    digestsOf.set(keys, digests)
  }
  const candidate = await sha256(presented)
  let match: Uint8Array | undefined
  for (const digest of await digests) {
    if (crypto.subtle.timingSafeEqual(candidate, digest)) match = digest
  }
  return match && hex(match).slice(0, 16)
}

/** The key a request presents: `Authorization: Bearer <key>`, else `X-Api-Key: <key>`. */
export function presentedKey(headers: Headers): string | undefined {
  const bearer = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(headers.get('Authorization') ?? '')?.[1]
  return bearer ?? (headers.get('X-Api-Key')?.trim() || undefined)
}
