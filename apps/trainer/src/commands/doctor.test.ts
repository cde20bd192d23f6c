import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { availableParallelism, totalmem } from 'node:os'
import { join, relative, resolve } from 'node:path'
import * as tf from '@tensorflow/tfjs-core'
import { BACKBONES } from '@whisker/model-core/training'
import { afterAll, describe, expect, it } from 'vitest'
import { whisker } from '../../test/support.ts'
import { diskEmbeddingCache } from '../data/embedding-cache.ts'
import { DEFAULTS, REPO_ROOT } from '../paths.ts'
import type { Diagnosis } from './doctor.ts'

/** Inside the repository (git-ignored), so the doctor must print it relative to the repository. */
const CACHE = resolve(import.meta.dirname, '..', '..', '.whisker', `doctor-cache-${process.pid}`)
const IDENTITY = { namespace: 'mobilenet_v2_0.35-test', backbone: 'f'.repeat(64), dim: 1280 }

const loads = (name: string) =>
  import(name).then(
    () => true,
    () => false,
  )

describe('whisker doctor', () => {
  afterAll(() => rmSync(CACHE, { recursive: true, force: true }))

  it('lists every backend with why it can or cannot run here, as `train --backend auto` would find them', async () => {
    const { code, stdout } = await whisker('doctor', '--json', '--cache-dir', CACHE)
    expect(code).toBe(0)
    const d = JSON.parse(stdout) as Diagnosis
    expect(d.backends.map((b) => b.backend)).toEqual(['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'])
    const byName = Object.fromEntries(d.backends.map((b) => [b.backend, b]))
    // The native bindings are optional dependencies: available exactly when their package loads here.
    expect(byName.tensorflow!.available).toBe(await loads('@tensorflow/tfjs-node'))
    if (!byName.tensorflow!.available) expect(byName.tensorflow!.detail).toMatch(/not installed/)
    if (!(await loads('@tensorflow/tfjs-node-gpu'))) expect(byName['tensorflow-gpu']!.available).toBe(false)
    expect(d.auto).toBe(d.backends.find((b) => b.available)!.backend)

    // wasm: the threads and SIMD the backend really runs with in this Node.
    await import('@tensorflow/tfjs-backend-wasm')
    expect(await tf.setBackend('wasm')).toBe(true)
    const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')
    expect(byName.wasm).toMatchObject({ available: true })
    expect(byName.wasm!.detail).toContain(`SIMD ${simd ? 'on' : 'off'}`)
    expect(byName.wasm!.detail).toMatch(/^\d+ threads?,/)
    expect(byName.cpu).toMatchObject({ available: true })

    expect(d.machine.cores).toBe(availableParallelism())
    expect(d.machine.memoryBytes).toBe(totalmem())
  })

  it('measures the caches, with paths relative to the repository, and names what can be deleted', async () => {
    await diskEmbeddingCache(CACHE, IDENTITY).set('ab12', new Float32Array(IDENTITY.dim).fill(0.5))
    mkdirSync(join(CACHE, 'old', 'ab'), { recursive: true })
    writeFileSync(join(CACHE, 'old', 'ab', 'ab34.f32'), new Uint8Array(IDENTITY.dim * 4))
    writeFileSync(join(CACHE, 'old', 'ab', 'ab56.wemb2.tmp-1234'), new Uint8Array(10))
    mkdirSync(join(CACHE, 'quantization-choices'), { recursive: true })
    writeFileSync(join(CACHE, 'quantization-choices', 'transfer.json'), '{}\n')

    const { stdout } = await whisker('doctor', '--json', '--cache-dir', CACHE)
    const { caches } = JSON.parse(stdout) as Diagnosis
    // Nothing downloads backbones, so there is no download cache to report.
    expect(caches.map((c) => c.name)).toEqual([
      'embeddings (--cache-dir)',
      'quantization choices',
      'backbones folder (--models)',
    ])
    const [embeddings, choices, models] = caches
    const entry = join(CACHE, `${IDENTITY.namespace}-ffffffffffff`, 'ab', 'ab12.wemb2')
    expect(embeddings).toEqual({
      name: 'embeddings (--cache-dir)',
      path: relative(REPO_ROOT, CACHE),
      exists: true,
      bytes: statSync(entry).size + IDENTITY.dim * 4 + 10,
      files: 3,
      notes: [
        '1 file of an older entry format, never read: safe to delete',
        '1 unfinished write left by stopped trainers: safe to delete',
      ],
    })
    expect(choices).toMatchObject({ exists: true, files: 1, bytes: 3 })
    expect(models).toMatchObject({ path: relative(REPO_ROOT, DEFAULTS.models), exists: true })
    expect(models!.path.startsWith('/')).toBe(false)
    const missing = Object.keys(BACKBONES).filter(
      (name) => !existsSync(join(DEFAULTS.models, name, 'model.json')),
    )
    expect(models!.notes).toEqual(missing.length === 0 ? [] : [expect.stringContaining(missing.join(', '))])
  })

  it('names the registry backbones the models folder lacks, since nothing downloads them', async () => {
    const empty = join(CACHE, 'no-models')
    mkdirSync(empty, { recursive: true })
    const { stdout } = await whisker('doctor', '--cache-dir', CACHE, '--models', empty)
    expect(stdout).toContain(
      `    registry backbones missing here (never downloaded; put their folders here to use them): ${Object.keys(BACKBONES).join(', ')}`,
    )
  })

  it('prints one line per backend, marking the one auto picks, then the machine and the caches', async () => {
    const { code, stdout } = await whisker('doctor', '--cache-dir', CACHE)
    expect(code).toBe(0)
    expect(stdout).toMatch(/^ {2}wasm +available +\d+ threads?, SIMD (on|off)/m)
    expect(stdout).toMatch(/^ {2}tensorflow-gpu +(available|unavailable) /m)
    expect(stdout.match(/← auto/g)).toHaveLength(1)
    expect(stdout).toContain(`machine: ${availableParallelism()} cores`)
    expect(stdout).toMatch(
      /^ {2}embeddings \(--cache-dir\): apps\/trainer\/\.whisker\/doctor-cache-\d+ {2}[\d.]+ KiB in 3 files$/m,
    )
  })
})
