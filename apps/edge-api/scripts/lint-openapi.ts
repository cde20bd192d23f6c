/**
 * The OpenAPI gate, part of `npm test`: Redocly's linter with its recommended rules, run as its CLI over
 * the document the Worker serves (built from src/contract.ts; openapi.test.ts checks they are equal),
 * must report nothing, neither an error nor a warning. Generated clients depend on what it checks:
 * operationIds become method names, servers the base URL, security schemes the auth parameters.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { contractDocument } from '../src/openapi-document.ts'

interface LintReport {
  totals: { errors: number; warnings: number; ignored: number }
  version: string
  problems: { ruleId: string; severity: string; message: string; location: { pointer: string }[] }[]
}

const cli = createRequire(import.meta.url).resolve('@redocly/cli/bin/cli.js')
const dir = mkdtempSync(join(tmpdir(), 'whisker-openapi-'))
try {
  const file = join(dir, 'openapi.json')
  writeFileSync(file, JSON.stringify(contractDocument(), null, 2))
  // `--extends recommended`: the recommended rules whatever redocly.yaml may appear; JSON to count problems.
  const run = spawnSync(
    process.execPath,
    [cli, 'lint', file, '--extends', 'recommended', '--format', 'json'],
    {
      encoding: 'utf8',
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
    },
  )
  let report: LintReport
  try {
    report = JSON.parse(run.stdout) as LintReport
  } catch {
    console.error(
      `lint-openapi: redocly lint did not report (exit ${run.status}):\n${run.stdout}${run.stderr}`,
    )
    process.exit(1)
  }
  const { errors, warnings, ignored } = report.totals
  if (errors + warnings + ignored > 0 || run.status !== 0) {
    for (const p of report.problems) {
      console.error(`  ${p.severity} ${p.ruleId} at ${p.location[0]?.pointer ?? '#'}: ${p.message}`)
    }
    console.error(
      `lint-openapi: ${errors} errors, ${warnings} warnings, ${ignored} ignored (Redocly ${report.version})`,
    )
    process.exit(1)
  }
  console.log(
    `lint-openapi: /openapi.json passes Redocly ${report.version} lint (recommended): 0 errors, 0 warnings`,
  )
} finally {
  rmSync(dir, { recursive: true, force: true })
}
