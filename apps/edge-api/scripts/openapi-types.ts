/**
 * Writes the API's OpenAPI document (.generated/openapi.json, built from src/contract.ts: the document the
 * Worker serves, as openapi.test.ts checks) and openapi-typescript's types of it (.generated/openapi.d.ts).
 * src/openapi-client.test.ts types its openapi-fetch client with them, as docs/api.md shows client teams.
 * Run by `typecheck` before tsc; never committed, so they cannot fall behind the contract.
 *
 * openapi-typescript 6, not 7: version 7 builds its output with the TypeScript 5 compiler API, which the
 * repository's TypeScript 7 (native) does not offer; 6 writes the same `paths` shape as text.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import openapiTS from 'openapi-typescript'
import { contractDocument } from '../src/openapi-document.ts'

const DIR = new URL('../.generated/', import.meta.url)
const DOCUMENT = new URL('openapi.json', DIR)
const TYPES = new URL('openapi.d.ts', DIR)

const document = contractDocument()
await mkdir(DIR, { recursive: true })
// Generated from the file, as a client team generates from the /openapi.json it downloaded.
await writeFile(DOCUMENT, `${JSON.stringify(document, null, 2)}\n`)
const types = await openapiTS(DOCUMENT, {
  // Upload bodies are files: Blobs to fetch, not the strings openapi-typescript makes of `format: binary`.
  transform: (schema) => (schema.format === 'binary' ? 'Blob' : undefined),
})
await writeFile(TYPES, types)
console.log(
  `openapi: ${Object.keys(document.paths ?? {}).length} paths → .generated/openapi.json, .generated/openapi.d.ts`,
)
