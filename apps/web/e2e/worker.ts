import { type ChildProcess, spawn } from 'node:child_process'
import { realpathSync } from 'node:fs'
import { rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { REPO_ROOT } from '@whisker/fixtures'
import { E2E_DIR, WORKER_ROOT } from './paths.ts'

/** A port nobody is listening on right now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      )
    })
  })
}

/**
 * A tsconfig that extends the Worker's own and maps `#model/*` to `modelDir`: wrangler's esbuild honours
 * `paths`, so the Worker bundles the e2e model without any change to apps/edge-api.
 */
export async function writeWorkerTsconfig(modelDir: string, name = 'worker'): Promise<string> {
  const path = join(E2E_DIR, `tsconfig.${name}.json`)
  const config = {
    extends: join(WORKER_ROOT, 'tsconfig.json'),
    compilerOptions: { paths: { '#model/*': [join(modelDir, '*')] } },
  }
  await writeFile(path, `${JSON.stringify(config, null, 2)}\n`)
  return path
}

export interface RunningWorker {
  readonly url: string
  /** Everything wrangler printed so far (for error messages). */
  output(): string
  /** SIGTERM (wrangler passes it on to workerd), then SIGKILL to the whole group if anything is left. */
  stop(): Promise<void>
}

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/**
 * `wrangler dev` with the Worker's own wrangler.jsonc, spawned directly (not through npx) in its own process
 * group, with the given tsconfig (model mapping) and assets folder (the page built for the tests).
 */
export async function startWorker(options: {
  tsconfig: string
  assets: string
  /** A given port keeps the origin (and so the browser's service worker and caches) across restarts. */
  port?: number
  /** Its own local state folder under .e2e/, so Workers started side by side never share one. */
  state?: string
}): Promise<RunningWorker> {
  const [port, inspectorPort] = [options.port ?? (await freePort()), await freePort()]
  const state = join(E2E_DIR, options.state ?? 'wrangler-state')
  await rm(state, { recursive: true, force: true })
  const wrangler = realpathSync(join(REPO_ROOT, 'node_modules/.bin/wrangler'))
  const args = [
    wrangler,
    'dev',
    ['--config', join(WORKER_ROOT, 'wrangler.jsonc')],
    // The Worker's local environment (rate limiter binding, vars); a bare `wrangler dev` refuses to start.
    ['--env', 'dev'],
    ['--tsconfig', options.tsconfig],
    // Overrides assets.directory only; run_worker_first and the rest still come from wrangler.jsonc.
    ['--assets', options.assets],
    ['--ip', '127.0.0.1'],
    ['--port', String(port)],
    ['--inspector-port', String(inspectorPort)],
    ['--show-interactive-dev-session=false'],
    // Local state (the result cache, the rate limiter) in our scratch folder, fresh for every run.
    ['--persist-to', state],
  ].flat()
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: WORKER_ROOT,
    detached: true, // its own process group, so stop() can make sure workerd is gone too
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false', CI: '1' },
  })
  let output = ''
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk))
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk))
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const pid = child.pid
  if (pid === undefined) throw new Error(`could not start wrangler (${wrangler})`)

  const worker: RunningWorker = {
    url: `http://127.0.0.1:${port}`,
    output: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
      await Promise.race([exited, sleep(10_000)])
      // workerd runs in wrangler's group; anything still there after SIGTERM is killed.
      for (let i = 0; i < 50 && isAlive(-pid); i++) await sleep(100)
      if (isAlive(-pid)) process.kill(-pid, 'SIGKILL')
    },
  }

  try {
    await waitForHealth(worker, exited)
  } catch (error) {
    await worker.stop()
    throw error
  }
  return worker
}

async function waitForHealth(
  worker: RunningWorker,
  exited: Promise<void>,
  timeoutMs = 90_000,
): Promise<void> {
  let gone = false
  void exited.then(() => {
    gone = true
  })
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (gone) throw new Error(`wrangler dev exited before it was ready:\n${worker.output()}`)
    // wrangler dev stays up after a build error, waiting for an edit: fail now, with its message.
    if (/Build failed|\[ERROR\]/.test(worker.output())) {
      await sleep(500) // let the rest of the message arrive
      throw new Error(`wrangler dev could not build the Worker:\n${worker.output()}`)
    }
    try {
      const response = await fetch(`${worker.url}/healthz`, { signal: AbortSignal.timeout(10_000) })
      if (response.ok) return
    } catch {
      // not listening yet
    }
    await sleep(250)
  }
  throw new Error(`wrangler dev was not healthy after ${timeoutMs / 1000} s:\n${worker.output()}`)
}
