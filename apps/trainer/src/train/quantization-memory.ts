import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { type QuantizationChoice, writeAtomically } from '@whisker/model-core/training'
import { z } from 'zod'

/**
 * What an `auto` search last chose (uint8 or float16 per tensor), per architecture (backbone and input policy). The
 * backbone's tensors dominate the choice and do not change between runs that only vary the head, so a
 * later run tries the remembered choice first and skips the search when it still keeps accuracy within
 * budget: the search is most of a cached run's wall time.
 */
export interface QuantizationMemory {
  recall(): Promise<QuantizationChoice | undefined>
  remember(choice: QuantizationChoice): Promise<void>
}

const tensors = z.array(z.object({ name: z.string(), shape: z.array(z.number().int()) }))
const stored = z.object({ uint8: tensors, float16: tensors })

export function diskQuantizationMemory(cacheDir: string, architecture: string): QuantizationMemory {
  const path = join(cacheDir, 'quantization-choices', `${architecture}.json`)
  return {
    async recall() {
      const text = await readFile(path, 'utf8').catch(() => undefined)
      if (text === undefined) return undefined
      // A damaged or foreign file only costs a search, never a wrong model: the choice is re-measured anyway.
      const parsed = stored.safeParse(safeJson(text))
      return parsed.success ? parsed.data : undefined
    },
    async remember(choice) {
      await writeAtomically(path, `${JSON.stringify(choice)}\n`)
    },
  }
}

/** Remembers nothing (`--no-cache`). */
export const noQuantizationMemory: QuantizationMemory = {
  recall: async () => undefined,
  remember: async () => {},
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}
