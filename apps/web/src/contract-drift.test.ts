import { spawnSync } from 'node:child_process'
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'

/**
 * The guarantee the shared contract exists for, checked for real: the page's typecheck run against a copy of
 * @whisker/api-contract in which one answer field the Worker sends is renamed must fail, and name the page's
 * code that reads the field. The page compiles against the same package the Worker's routes and /openapi.json
 * are built from, so a rename in the Worker's answers cannot reach users unnoticed.
 */

const require = createRequire(import.meta.url)
const webDir = join(import.meta.dirname, '..')
const contractSrc = dirname(require.resolve('@whisker/api-contract'))
const tsc = join(dirname(require.resolve('typescript/package.json')), 'bin', 'tsc')

/** Runs the page's typecheck with `@whisker/api-contract` taken from a copy whose schemas `edit` rewrote. */
function typecheckAgainst(edit: (schemas: string) => string): { status: number | null; output: string } {
  // Inside the package, so the copy resolves zod and @whisker/model-core as the original does.
  const scratch = mkdtempSync(join(webDir, '.drift-'))
  try {
    const copy = join(scratch, 'api-contract')
    cpSync(contractSrc, copy, { recursive: true })
    const schemas = join(copy, 'schemas.ts')
    writeFileSync(schemas, edit(readFileSync(schemas, 'utf8')))
    const up = relative(scratch, webDir)
    writeFileSync(
      join(scratch, 'tsconfig.json'),
      JSON.stringify({
        extends: join(up, 'tsconfig.json'),
        compilerOptions: { paths: { '@whisker/api-contract': ['./api-contract/index.ts'] } },
        include: [join(up, 'src')],
      }),
    )
    const run = spawnSync(process.execPath, [tsc, '-p', scratch], { cwd: webDir, encoding: 'utf8' })
    return { status: run.status, output: run.stdout + run.stderr }
  } finally {
    rmSync(scratch, { recursive: true, force: true })
  }
}

describe('the page compiles against the Worker’s contract', () => {
  it('fails its typecheck where it reads a field the contract renamed (Classification.confidence)', () => {
    const renamed = typecheckAgainst((schemas) => {
      const field = "    confidence: doc(probability(), { description: 'Its probability.'"
      expect(schemas).toContain(field) // the rename below must really happen
      return schemas.replace(field, field.replace('confidence:', 'certainty:'))
    })
    expect(renamed.status).not.toBe(0)
    expect(renamed.output).toMatch(/src\/api\.ts\(\d+,\d+\): error TS\d+/)
  }, 60_000)

  it('passes it against an unchanged copy, so the failure above is the rename’s', () => {
    const unchanged = typecheckAgainst((schemas) => schemas)
    expect(unchanged.output).toBe('')
    expect(unchanged.status).toBe(0)
  }, 60_000)
})
