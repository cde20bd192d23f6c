import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { type GraphModelJson, MODEL_FILES, type ModelArtifacts } from './artifacts.ts'
import { parseModelCard } from './card.ts'

/** Writes a model folder atomically: a crash mid-write never leaves a half model where a good one was. */
export async function writeModelDir(dir: string, artifacts: ModelArtifacts): Promise<void> {
  const staging = `${dir}.tmp-${process.pid}`
  await rm(staging, { recursive: true, force: true })
  await mkdir(staging, { recursive: true })
  await writeFile(join(staging, MODEL_FILES.graph), JSON.stringify(artifacts.modelJson))
  await writeFile(join(staging, MODEL_FILES.weights), new Uint8Array(artifacts.weights))
  await writeFile(join(staging, MODEL_FILES.card), `${JSON.stringify(artifacts.card, null, 2)}\n`)
  await rm(dir, { recursive: true, force: true })
  await rename(staging, dir)
}

export async function readModelDir(dir: string): Promise<ModelArtifacts> {
  const [graph, weights, card] = await Promise.all([
    readFile(join(dir, MODEL_FILES.graph), 'utf8'),
    readFile(join(dir, MODEL_FILES.weights)),
    readFile(join(dir, MODEL_FILES.card), 'utf8'),
  ])
  return {
    modelJson: JSON.parse(graph) as GraphModelJson,
    weights: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) as ArrayBuffer,
    card: parseModelCard(JSON.parse(card)),
  }
}
