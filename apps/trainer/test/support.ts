import { execFile, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { DEFAULTS } from '../src/paths.ts'

const CLI = resolve(import.meta.dirname, '..', 'src', 'cli.ts')

export interface CliResult {
  code: number
  stdout: string
  stderr: string
}

/** Runs `whisker …` as a child process and resolves with its exit code and output (never rejects). */
export function whisker(...args: string[]): Promise<CliResult> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { timeout: 120_000, maxBuffer: 64 << 20 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0
        done({ code, stdout, stderr })
      },
    )
  })
}

/** Runs `whisker …` like `whisker`, sending one SIGINT (a user's Ctrl-C) once stderr matches `interruptOn`. */
export function interruptedWhisker(args: string[], interruptOn?: RegExp): Promise<CliResult> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    let sent = false
    child.stdout.on('data', (d: Buffer) => (stdout += d))
    child.stderr.on('data', (d: Buffer) => {
      stderr += d
      if (interruptOn && !sent && interruptOn.test(stderr)) {
        sent = true
        child.kill('SIGINT')
      }
    })
    child.on('close', (code) => done({ code: code ?? -1, stdout, stderr }))
  })
}

/** A stack frame in CLI output means an error escaped without a clear message. */
export const STACK_FRAME = /^\s+at .*(\.ts|\.js|node:)/m

/** The files of the model's split (names relative to the training folder). */
export async function readSplit(modelDir: string): Promise<{ train: string[]; val: string[] }> {
  return JSON.parse(await readFile(join(modelDir, 'split.json'), 'utf8'))
}

/**
 * `count` photos of `label` from the shared training folder that the test model never saw (neither
 * trained nor validated on), in a stable order.
 */
export async function unseenPhotos(modelDir: string, label: string, count: number): Promise<string[]> {
  const split = await readSplit(modelDir)
  const used = new Set([...split.train, ...split.val])
  const names: string[] = []
  for (let id = 0; names.length < count && id < 1001; id++) {
    const name = `${label}.${id}.jpg`
    if (used.has(name)) continue
    if (existsSync(join(DEFAULTS.data, name))) names.push(name) // ids are not contiguous
  }
  if (names.length < count)
    throw new Error(`found only ${names.length} unseen ${label} photos in ${DEFAULTS.data}`)
  return names
}

/** Copies photos from the shared training folder into `dir` under new names ({ newName: sourceName }). */
export async function copyPhotos(dir: string, files: Record<string, string>): Promise<void> {
  await mkdir(dir, { recursive: true })
  for (const [to, from] of Object.entries(files)) await copyFile(join(DEFAULTS.data, from), join(dir, to))
}

/** A JPEG cut short: the decoder refuses it as CORRUPT_IMAGE. */
export async function writeTruncatedJpeg(path: string): Promise<void> {
  const bytes = await readFile(join(DEFAULTS.data, 'cat.0.jpg'))
  await writeFile(path, bytes.subarray(0, Math.floor(bytes.length / 2)))
}
