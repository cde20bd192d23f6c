import { mkdtempSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { diskQuantizationMemory } from './quantization-memory.ts'

const choice = {
  uint8: [
    { name: 'Conv_1/kernel', shape: [1, 1, 112, 1280] },
    { name: 'dense/kernel', shape: [1280, 2] },
  ],
  float16: [{ name: 'block_16_depthwise/depthwise_kernel', shape: [3, 3, 336, 1] }],
}

describe('the quantization memory', () => {
  it('recalls the last choice remembered for an architecture, and nothing for another', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'whisker-cache-'))
    await diskQuantizationMemory(dir, 'transfer-a').remember(choice)
    expect(await diskQuantizationMemory(dir, 'transfer-a').recall()).toEqual(choice)
    expect(await diskQuantizationMemory(dir, 'transfer-b').recall()).toBeUndefined()
  })

  it('treats a damaged file as no memory: it only costs a search', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'whisker-cache-'))
    await mkdir(join(dir, 'quantization-choices'))
    await writeFile(join(dir, 'quantization-choices', 'broken.json'), '{"uint8": [{"name": 3}')
    await writeFile(join(dir, 'quantization-choices', 'foreign.json'), '{"uint8": [{"name": 3}]}')
    expect(await diskQuantizationMemory(dir, 'broken').recall()).toBeUndefined()
    expect(await diskQuantizationMemory(dir, 'foreign').recall()).toBeUndefined()
  })
})
