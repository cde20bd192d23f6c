import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { type GraphModelJson, MODEL_FILES, type ModelArtifacts } from './artifacts.ts'
import { parseModelCard } from './card.ts'
import { writeFolderAtomically } from './write-atomically.ts'

/** Writes a model folder atomically: a crash mid-write never leaves a half model where a good one was. */
export async function writeModelDir(dir: string, artifacts: ModelArtifacts): Promise<void> {
  await writeFolderAtomically(dir, async (staging) => {
    await writeFile(join(staging, MODEL_FILES.graph), JSON.stringify(artifacts.modelJson))
    await writeFile(join(staging, MODEL_FILES.weights), new Uint8Array(artifacts.weights))
    await writeFile(join(staging, MODEL_FILES.card), `${JSON.stringify(artifacts.card, null, 2)}\n`)
  })
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
