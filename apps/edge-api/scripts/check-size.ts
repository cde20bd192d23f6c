/**
 * The upload-size gate: bundles the Worker as `wrangler deploy --env production` would, with the test model
 * (same architecture and quantization as a trained one, so the size is representative) and fails if the
 * gzip upload is over the Free plan's 3 MiB script limit. Part of `npm test`, after the turbo task
 * `@whisker/trainer#test-model` has trained the test model. Offline and without a login: `--dry-run` stops before anything is sent.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { TEST_MODEL_DIR } from '@whisker/fixtures'

const APP_ROOT = fileURLToPath(new URL('..', import.meta.url))
const TEST_MODEL = TEST_MODEL_DIR
const LIMIT_KIB = 3 * 1024 // Workers Free plan; Paid allows 10 MiB

if (!existsSync(join(TEST_MODEL, 'weights.bin'))) {
  console.error(
    "check-size: no test model yet; turbo's test task builds it first (@whisker/trainer#test-model).",
  )
  process.exit(1)
}

const outdir = mkdtempSync(join(tmpdir(), 'whisker-size-'))
try {
  const wrangler = join(APP_ROOT, 'node_modules/.bin/wrangler')
  const bin = existsSync(wrangler) ? wrangler : join(APP_ROOT, '../../node_modules/.bin/wrangler')
  const args = ['deploy', '--dry-run', '--env', 'production', '--outdir', outdir]
  // wrangler's esbuild resolves `#model/*` through this tsconfig's `paths` (see tsconfig.test-model.json)
  args.push('--tsconfig', 'tsconfig.test-model.json')
  const run = spawnSync(bin, args, {
    cwd: APP_ROOT,
    encoding: 'utf8',
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false' },
  })
  const output = `${run.stdout}${run.stderr}`
  const size = /Total Upload: ([\d.]+) KiB \/ gzip: ([\d.]+) KiB/.exec(output)
  if (run.status !== 0 || !size) {
    console.error(`check-size: wrangler deploy --dry-run failed (exit ${run.status}):\n${output}`)
    process.exit(1)
  }

  // Prove the bundle holds the test model, i.e. that wrangler honoured --tsconfig rather than using ./model.
  const bundled = readdirSync(outdir).find((name) => name.endsWith('weights.bin'))
  const weights = readFileSync(join(TEST_MODEL, 'weights.bin'))
  if (!bundled || !readFileSync(join(outdir, bundled)).equals(weights)) {
    console.error(`check-size: the bundle in ${outdir} does not hold the test model's weights.bin`)
    process.exit(1)
  }

  const [total, gzip] = [Number(size[1]), Number(size[2])]
  console.log(
    `check-size: upload ${total.toFixed(2)} KiB, gzip: ${gzip.toFixed(2)} KiB (limit ${LIMIT_KIB} KiB)`,
  )
  if (gzip > LIMIT_KIB) {
    console.error(`check-size: the gzip upload is over the ${LIMIT_KIB} KiB Workers Free plan limit`)
    process.exit(1)
  }
} finally {
  rmSync(outdir, { recursive: true, force: true })
}
