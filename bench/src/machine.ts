import { readFileSync } from 'node:fs'
import { cpus, loadavg, totalmem } from 'node:os'
import { join } from 'node:path'
import { REPO_ROOT } from './paths.ts'

export interface MachineFacts {
  cpu: string
  cores: number
  memoryGiB: number
  loadAverage: number[]
  node: string
  platform: string
  packages: Record<string, string>
}

/** Versions of the libraries whose speed the figures depend on, read from what is installed. */
const MEASURED_PACKAGES = [
  '@tensorflow/tfjs-core',
  '@tensorflow/tfjs-backend-wasm',
  'sharp',
  '@cwasm/jpeg-turbo',
  'wrangler',
  'hono',
]

export function machineFacts(): MachineFacts {
  const packages: Record<string, string> = {}
  for (const name of MEASURED_PACKAGES) {
    try {
      const json = JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules', name, 'package.json'), 'utf8'))
      packages[name] = String(json.version)
    } catch {
      packages[name] = 'not installed'
    }
  }
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    loadAverage: loadavg().map((l) => Math.round(l * 100) / 100),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    packages,
  }
}
