import { mkdir, readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { writeAtomically } from '@whisker/model-core/training'
import type { EpochRecord, RunRecord } from './records.ts'
import { RUN_FILES } from './records.ts'

/** A run's folder: every write is atomic, so an interruption never leaves a half-written file. */
export class RunDir {
  readonly path: string

  constructor(path: string) {
    this.path = path
  }

  static async create(root: string, now = new Date()): Promise<RunDir> {
    const id = now.toISOString().replace(/[:.]/g, '-').replace('Z', '')
    const dir = new RunDir(join(root, id))
    await mkdir(dir.path, { recursive: true })
    return dir
  }

  /** The newest run under `root` whose status is `interrupted`, if any. */
  static async latestInterrupted(root: string): Promise<RunDir | undefined> {
    const ids = (await readdir(root).catch(() => [] as string[])).sort().reverse()
    for (const id of ids) {
      const dir = new RunDir(join(root, id))
      const record = await dir.readRecord().catch(() => undefined)
      if (record?.status === 'interrupted') return dir
    }
    return undefined
  }

  get id(): string {
    return this.path.split(/[\\/]/).at(-1)!
  }

  file(name: string): string {
    return join(this.path, name)
  }

  async writeJson(name: string, value: unknown): Promise<void> {
    await this.writeText(name, `${JSON.stringify(value, null, 2)}\n`)
  }

  async writeText(name: string, text: string | Uint8Array): Promise<void> {
    await writeAtomically(this.file(name), text)
  }

  async readJson<T>(name: string): Promise<T> {
    return JSON.parse(await readFile(this.file(name), 'utf8')) as T
  }

  readRecord(): Promise<RunRecord> {
    return this.readJson<RunRecord>(RUN_FILES.run)
  }

  async updateRecord(change: Partial<RunRecord>): Promise<RunRecord> {
    const record = { ...(await this.readRecord()), ...change }
    await this.writeJson(RUN_FILES.run, record)
    return record
  }

  async writeHistory(history: readonly EpochRecord[]): Promise<void> {
    await this.writeJson(RUN_FILES.history, history)
    await this.writeText(RUN_FILES.historyCsv, historyCsv(history))
  }
}

const COLUMNS = ['epoch', 'loss', 'acc', 'val_loss', 'val_acc', 'lr', 'seconds'] as const

export function historyCsv(history: readonly EpochRecord[]): string {
  const rows = history.map((h) => COLUMNS.map((c) => h[c]).join(','))
  return `${[COLUMNS.join(','), ...rows].join('\n')}\n`
}
