import { readFile } from 'node:fs/promises'
import * as tf from '@tensorflow/tfjs-core'
import type { RunDir } from './run-dir.ts'

interface Entry {
  name: string
  shape: number[]
  /** Float32 values from this index of the .bin file. */
  offset: number
}

/**
 * Named float32 tensors as `<file>.json` (names, shapes) plus `<file>.bin` (values): a checkpoint of a
 * network with a million weights stays a few megabytes, where JSON numbers would be ten times that.
 * The .bin is written first, so a manifest on disk always describes a complete .bin.
 */
export async function writeTensors(run: RunDir, file: string, tensors: tf.NamedTensorMap): Promise<void> {
  const entries: Entry[] = []
  let length = 0
  for (const [name, tensor] of Object.entries(tensors)) {
    entries.push({ name, shape: tensor.shape, offset: length })
    length += tensor.size
  }
  const values = new Float32Array(length)
  for (const entry of entries) values.set(await tensors[entry.name]!.data<'float32'>(), entry.offset)
  await run.writeText(`${file}.bin`, new Uint8Array(values.buffer))
  await run.writeJson(`${file}.json`, entries)
}

export async function readTensors(run: RunDir, file: string): Promise<tf.NamedTensorMap> {
  const entries = await run.readJson<Entry[]>(`${file}.json`)
  const bytes = await readFile(run.file(`${file}.bin`))
  const values = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength))
  const tensors: tf.NamedTensorMap = {}
  for (const { name, shape, offset } of entries) {
    const size = shape.reduce((a, b) => a * b, 1)
    tensors[name] = tf.tensor(values.slice(offset, offset + size), shape, 'float32')
  }
  return tensors
}
