import { existsSync, readFileSync } from 'node:fs'
import { readdir, stat } from 'node:fs/promises'
import { availableParallelism, cpus, freemem, totalmem } from 'node:os'
import { join, relative, resolve, sep } from 'node:path'
import * as tf from '@tensorflow/tfjs-core'
import { BACKBONES } from '@whisker/model-core/training'
import { Command } from 'commander'
import { BACKEND_CHOICES, type Concrete, tryBackend } from '../core/backend.ts'
import { defaultEmbeddingCacheDir, EMBEDDING_ENTRY_EXTENSION } from '../data/embedding-cache.ts'
import { DEFAULTS, displayPath } from '../paths.ts'

export interface BackendCheck {
  backend: Concrete
  available: boolean
  /** Why it cannot be used, or what it runs with when it can. */
  detail: string
}

export interface CacheCheck {
  name: string
  /** As printed: relative to the repository, or under `~`. */
  path: string
  exists: boolean
  bytes: number
  files: number
  /** What else is worth knowing (stale entries, unfinished writes). */
  notes: string[]
}

export interface Diagnosis {
  backends: BackendCheck[]
  /** What `--backend auto` would pick. */
  auto: Concrete | undefined
  machine: { cores: number; cpu: string; memoryBytes: number; freeMemoryBytes: number; node: string }
  nvidiaDriver: string | undefined
  caches: CacheCheck[]
}

export function doctorCommand(): Command {
  return new Command('doctor')
    .description(
      'Which backends work here and why not, the cores and memory, and the caches with their sizes.',
    )
    .option('--cache-dir <dir>', 'the embedding cache to inspect', defaultEmbeddingCacheDir())
    .option('--models <dir>', 'folder of pretrained backbones (WHISKER_MODELS)', DEFAULTS.models)
    .option('--json', 'print the diagnosis as JSON')
    .action(async (flags: { cacheDir: string; models: string; json?: boolean }) => {
      const diagnosis = await diagnose(flags)
      console.log(flags.json ? JSON.stringify(diagnosis, null, 2) : formatDiagnosis(diagnosis))
    })
}

export async function diagnose(options: { cacheDir: string; models: string }): Promise<Diagnosis> {
  const backends: BackendCheck[] = []
  // Each is activated in turn and described while active (wasm's threads and SIMD are only known then).
  for (const backend of BACKEND_CHOICES.filter((c): c is Concrete => c !== 'auto')) {
    const reason = await tryBackend(backend)
    backends.push({
      backend,
      available: reason === undefined,
      detail: reason ?? (await describeActive(backend)),
    })
  }
  return {
    backends,
    auto: backends.find((b) => b.available)?.backend,
    machine: {
      cores: availableParallelism(),
      cpu: cpus()[0]?.model ?? 'unknown',
      memoryBytes: totalmem(),
      freeMemoryBytes: freemem(),
      node: process.version,
    },
    nvidiaDriver: nvidiaDriver(),
    caches: [
      await embeddingCache(resolve(options.cacheDir)),
      await folderCheck('quantization choices', join(resolve(options.cacheDir), 'quantization-choices')),
      await modelsFolder(resolve(options.models)),
    ],
  }
}

const SIMD_BUILDS = {
  fused: 'relaxed SIMD, fused multiply-add',
  plain: 'wasm SIMD',
  none: 'not running here',
} as const

/** What the backend just activated runs with: threads and SIMD for wasm, the device for native TensorFlow. */
async function describeActive(backend: Concrete): Promise<string> {
  if (backend === 'cpu') return 'pure JavaScript, 1 thread (slowest; the last resort)'
  if (backend === 'wasm') {
    const { getThreadsCount } = await import('@tensorflow/tfjs-backend-wasm')
    const { wasmSimdKernels } = await import('@whisker/model-core/kernels')
    const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')
    const threads = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')
    return [
      `${getThreadsCount()} thread${getThreadsCount() === 1 ? '' : 's'}`,
      `SIMD ${simd ? 'on' : 'off'}`,
      `multithreaded build ${threads ? 'in use' : 'not in use'}`,
      `Whisker training kernels registered by \`whisker train\` (its SIMD kernels: ${SIMD_BUILDS[wasmSimdKernels() ?? 'none']})`,
    ].join(', ')
  }
  // libtensorflow's GPU build loads CUDA when it starts and, without it, carries on on the CPU with a
  // warning: loading is not proof of a GPU, TensorFlow's own log line is.
  return backend === 'tensorflow-gpu'
    ? 'libtensorflow GPU build loaded; it uses the GPU only if CUDA 11.2 and cuDNN 8.1 loaded (see its log)'
    : 'native TensorFlow on the CPU, all cores (libtensorflow bound by @tensorflow/tfjs-node)'
}

/** The loaded kernel module's version line, which CUDA needs; undefined without an NVIDIA driver. */
function nvidiaDriver(): string | undefined {
  const path = '/proc/driver/nvidia/version'
  if (!existsSync(path)) return undefined
  return readFileSync(path, 'utf8').split('\n')[0]?.trim()
}

async function embeddingCache(root: string): Promise<CacheCheck> {
  // One listing for the sizes and the notes: other trainers may be writing here while we look.
  const files = (await listFiles(root)).filter((f) => !f.path.startsWith(`quantization-choices${sep}`))
  const check = summarize('embeddings (--cache-dir)', root, files)
  const unfinished = files.filter((f) => f.path.includes('.tmp-'))
  const older = files.filter((f) => !f.path.includes('.tmp-') && !f.path.endsWith(EMBEDDING_ENTRY_EXTENSION))
  if (older.length > 0) {
    check.notes.push(`${count(older.length, 'file')} of an older entry format, never read: safe to delete`)
  }
  if (unfinished.length > 0) {
    check.notes.push(
      `${count(unfinished.length, 'unfinished write')} left by stopped trainers: safe to delete`,
    )
  }
  return check
}

/** The models folder, naming the registry backbones it lacks: nothing downloads them, so `train` would refuse them. */
async function modelsFolder(root: string): Promise<CacheCheck> {
  const check = await folderCheck('backbones folder (--models)', root)
  const missing = Object.keys(BACKBONES).filter((name) => !existsSync(join(root, name, 'model.json')))
  if (missing.length > 0) {
    check.notes.push(
      `registry backbones missing here (never downloaded; put their folders here to use them): ${missing.join(', ')}`,
    )
  }
  return check
}

async function folderCheck(name: string, path: string): Promise<CacheCheck> {
  return summarize(name, path, await listFiles(path))
}

function summarize(name: string, path: string, files: { bytes: number }[]): CacheCheck {
  return {
    name,
    path: displayPath(path),
    exists: existsSync(path),
    bytes: files.reduce((n, f) => n + f.bytes, 0),
    files: files.length,
    notes: [],
  }
}

/** Every file under `root` (paths relative to it) with its size; none when it does not exist. */
async function listFiles(root: string): Promise<{ path: string; bytes: number }[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => [])
  const files = entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name))
  return Promise.all(files.map(async (f) => ({ path: relative(root, f), bytes: (await stat(f)).size })))
}

function count(n: number, noun: string): string {
  return `${n.toLocaleString('en-US')} ${noun}${n === 1 ? '' : 's'}`
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`
}

export function formatDiagnosis(d: Diagnosis): string {
  const width = Math.max(...d.backends.map((b) => b.backend.length))
  const lines = ['backends (`--backend auto` takes the first available, in this order):']
  for (const b of d.backends) {
    const picked = b.backend === d.auto ? '  ← auto' : ''
    lines.push(
      `  ${b.backend.padEnd(width)}  ${b.available ? 'available  ' : 'unavailable'}  ${b.detail}${picked}`,
    )
  }
  const m = d.machine
  lines.push(
    `machine: ${m.cores} cores (${m.cpu}), ${formatBytes(m.memoryBytes)} memory (${formatBytes(m.freeMemoryBytes)} free), Node ${m.node}`,
    `NVIDIA driver: ${d.nvidiaDriver ?? 'none loaded (no /proc/driver/nvidia/version), so no GPU backend can run'}`,
    'caches:',
  )
  for (const c of d.caches) {
    const size = c.exists ? `${formatBytes(c.bytes)} in ${count(c.files, 'file')}` : 'absent'
    lines.push(`  ${c.name}: ${c.path}  ${size}`)
    for (const note of c.notes) lines.push(`    ${note}`)
  }
  return lines.join('\n')
}
