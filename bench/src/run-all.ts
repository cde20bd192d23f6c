/**
 * `turbo run bench`: every suite in turn, each in its own process (clean memory, its own tfjs backend),
 * with the same flags (`--data DIR --models DIR --quick`), then the report into docs/benchmarks.md.
 */
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { parseBenchFlags } from './args.ts'

const SUITES = ['preprocess', 'model', 'edge', 'training'] as const
const args = process.argv.slice(2)
try {
  parseBenchFlags(args) // refuse bad flags before minutes of work
} catch (error) {
  console.error(`bench: ${(error as Error).message}. Flags: --data DIR, --models DIR, --quick.`)
  process.exit(2)
}

for (const step of [...SUITES.map((s) => join('suites', `${s}.ts`)), 'report.ts']) {
  console.error(`bench: ${step}`)
  const run = spawnSync(process.execPath, [join(import.meta.dirname, step), ...args], { stdio: 'inherit' })
  if (run.status !== 0) {
    console.error(`bench: ${step} failed (exit ${run.status ?? run.signal})`)
    process.exit(1)
  }
}
