/**
 * Edge benchmark: the Worker as users meet it, under `wrangler dev` (local workerd) with the trained
 * model in apps/edge-api/model.
 *
 * - Upload size: `wrangler deploy --dry-run --env production`, the gzip figure Cloudflare's limit uses.
 * - Cold start: from spawning `wrangler dev` to ready, and the first classify request (isolate start,
 *   wasm backend, model load) against the warm median.
 * - Warm latency: sequential classify requests over distinct photos (result cache bypassed), against
 *   GET /healthz in the same run as the baseline (the local proxy's own cost), plus the Worker's
 *   Server-Timing stages; a cache-hit series; throughput with 4 concurrent clients.
 *
 * Run by `turbo run bench`; `WHISKER_BENCH_QUICK=1` sends fewer requests.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { BENCH_INPUTS, chart, ms, QUICK, REPO_ROOT, ratio, summarize, table, writeResult } from '../index.ts'

const APP = join(REPO_ROOT, 'apps', 'edge-api')
const WRANGLER = join(REPO_ROOT, 'node_modules', '.bin', 'wrangler')
const REQUESTS = QUICK ? 60 : 300
const THROUGHPUT_SECONDS = QUICK ? 5 : 15
const ENV = { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false' }

if (!existsSync(join(APP, 'model', 'card.json')))
  throw new Error('No model in apps/edge-api/model: run `npm run train` first.')
if (!existsSync(join(REPO_ROOT, 'apps', 'web', 'dist', 'index.html'))) {
  throw new Error('No apps/web/dist: turbo builds it before this suite (npm run build -w @whisker/web).')
}

// ---- upload size
const outdir = mkdtempSync(join(tmpdir(), 'whisker-bench-edge-'))
const dry = spawnSync(WRANGLER, ['deploy', '--dry-run', '--env', 'production', '--outdir', outdir], {
  cwd: APP,
  encoding: 'utf8',
  env: ENV,
})
const upload = /Total Upload: ([\d.]+) KiB \/ gzip: ([\d.]+) KiB/.exec(`${dry.stdout}${dry.stderr}`)
if (!upload) throw new Error(`wrangler deploy --dry-run failed:\n${dry.stdout}${dry.stderr}`)
const uploadKiB = { total: Number(upload[1]), gzip: Number(upload[2]) }

// ---- photos: the model's validation split, never seen in training
const split = JSON.parse(readFileSync(join(APP, 'model', 'split.json'), 'utf8')) as { val: string[] }
const photos = split.val.slice(0, REQUESTS).map((name) => readFileSync(join(BENCH_INPUTS.data, name)))

const port = await freePort()
const base = `http://127.0.0.1:${port}`
const spawned = performance.now()
const server = spawn(
  WRANGLER,
  [
    'dev',
    '--env',
    'bench',
    '--port',
    String(port),
    '--ip',
    '127.0.0.1',
    '--persist-to',
    join(outdir, 'state'),
  ],
  {
    cwd: APP,
    env: ENV,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  },
)
try {
  const readySeconds = await waitForReady(server, spawned)
  const classify = async (body: Uint8Array, cache: 'no-cache' | 'default' = 'no-cache') => {
    const started = performance.now()
    const response = await fetch(`${base}/v1/classify`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'image/jpeg', 'cache-control': cache },
    })
    await response.arrayBuffer()
    if (!response.ok) throw new Error(`classify answered ${response.status}`)
    return { ms: performance.now() - started, timing: response.headers.get('server-timing') ?? '' }
  }
  const cold = await classify(photos[0]!)

  const latency: number[] = []
  const health: number[] = []
  const stages: Record<string, number[]> = {}
  for (const photo of photos) {
    const { ms: elapsed, timing } = await classify(photo)
    latency.push(elapsed)
    for (const [, name, dur] of timing.matchAll(/([\w-]+);dur=([\d.]+)/g)) {
      stages[name!] = [...(stages[name!] ?? []), Number(dur)]
    }
    const h = performance.now()
    await (await fetch(`${base}/healthz`)).arrayBuffer()
    health.push(performance.now() - h)
  }
  const hits: number[] = []
  await classify(photos[0]!, 'default')
  for (let i = 0; i < Math.min(50, REQUESTS); i++) hits.push((await classify(photos[0]!, 'default')).ms)

  let served = 0
  const until = performance.now() + THROUGHPUT_SECONDS * 1000
  await Promise.all(
    Array.from({ length: 4 }, async (_, client) => {
      for (let i = client; performance.now() < until; i += 4) {
        await classify(photos[i % photos.length]!)
        served++
      }
    }),
  )
  const throughput = served / THROUGHPUT_SECONDS

  const warm = summarize(latency)
  const baseline = summarize(health)
  const hit = summarize(hits)
  const stageMedians = Object.fromEntries(Object.entries(stages).map(([k, v]) => [k, summarize(v).median]))
  const latencyChart = await chart('bench-edge-latency', 'Distribution of warm classify latency', {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: 480,
    height: 200,
    title: `Warm POST /v1/classify under wrangler dev (${latency.length} requests)`,
    data: { values: latency.map((v) => ({ ms: v })) },
    mark: 'bar',
    encoding: {
      x: { field: 'ms', type: 'quantitative', bin: { maxbins: 40 }, title: 'latency (ms)' },
      y: { aggregate: 'count', type: 'quantitative', title: 'requests' },
    },
  })

  const markdown = [
    table(
      ['measure', 'median', 'p95', 'vs baseline'],
      [
        ['GET /healthz (baseline: local proxy + routing)', ms(baseline.median), ms(baseline.p95), ratio(1)],
        [
          'POST /v1/classify, warm, distinct photos',
          ms(warm.median),
          ms(warm.p95),
          ratio(warm.median / baseline.median),
        ],
        ['POST /v1/classify, cache hit', ms(hit.median), ms(hit.p95), ratio(hit.median / baseline.median)],
      ],
    ),
    '',
    `Worker stages (Server-Timing medians): ${Object.entries(stageMedians)
      .map(([k, v]) => `${k} ${ms(v, 1)}`)
      .join(', ')}.`,
    '',
    table(
      ['figure', 'value'],
      [
        [
          'upload (gzip / total)',
          `${uploadKiB.gzip.toFixed(0)} KiB / ${uploadKiB.total.toFixed(0)} KiB (Free plan limit 3,072 KiB)`,
        ],
        ['wrangler dev ready after', `${readySeconds.toFixed(1)} s`],
        ['cold start: first classify', `${ms(cold.ms)} (${ratio(cold.ms / warm.median)} the warm median)`],
        ['throughput, 4 concurrent clients', `${throughput.toFixed(1)} requests/s`],
      ],
    ),
    '',
    latencyChart,
  ].join('\n')
  const path = await writeResult({
    suite: 'edge',
    title: 'Edge: Worker latency, throughput, cold start and upload size',
    method: [
      `\`wrangler dev --env bench\` (local workerd, the dev settings with a rate limit the bench never meets, the bundled model in apps/edge-api/model), requests from Node's fetch on the same 2-core machine; ${latency.length} sequential classify requests over distinct validation photos with \`Cache-Control: no-cache\` (result cache bypassed), each followed by a GET /healthz as the same-run baseline.`,
      'Latency is the client round trip including the local proxy; Server-Timing gives the Worker-side stages. Deployed, Workers timers only advance across I/O, so Server-Timing is a local-only figure.',
      `Cache hits: 50 repeats of one photo after a first request stored it. Throughput: 4 concurrent clients for ${THROUGHPUT_SECONDS} s.`,
      'Upload size: `wrangler deploy --dry-run --env production` with the trained model bundled.',
    ],
    markdown,
    figures: { uploadKiB, readySeconds, coldMs: cold.ms, warm, baseline, hit, stageMedians, throughput },
  })
  console.log(markdown)
  console.error(`written ${path}`)
} finally {
  if (server.pid) process.kill(-server.pid, 'SIGTERM')
}

async function freePort(): Promise<number> {
  return new Promise((done) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number }
      probe.close(() => done(port))
    })
  })
}

async function waitForReady(child: ChildProcess, since: number): Promise<number> {
  let log = ''
  child.stdout?.on('data', (d: Buffer) => (log += d))
  child.stderr?.on('data', (d: Buffer) => (log += d))
  for (let i = 0; i < 240; i++) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited:\n${log}`)
    const ok = await fetch(`${base}/healthz`).then(
      (r) => r.ok,
      () => false,
    )
    if (ok) return (performance.now() - since) / 1000
    await new Promise((r) => setTimeout(r, 250))
  }
  throw new Error(`wrangler dev did not become ready in 60 s:\n${log}`)
}
