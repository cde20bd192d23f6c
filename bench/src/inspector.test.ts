import { getHeapSnapshot } from 'node:v8'
import { describe, expect, it } from 'vitest'
import { type HeapSnapshot, summarizeSnapshot } from './inspector.ts'

/** This process's own heap, as V8 writes it: the same format workerd's inspector streams. */
async function ownSnapshot(): Promise<HeapSnapshot> {
  const chunks: Buffer[] = []
  for await (const chunk of getHeapSnapshot()) chunks.push(chunk as Buffer)
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as HeapSnapshot
}

describe('summarizeSnapshot', () => {
  it('finds a live ArrayBuffer by its backing store and counts it in the total', async () => {
    const kept = new ArrayBuffer(3_000_017)
    const summary = summarizeSnapshot(await ownSnapshot())
    expect(summary.largestBuffers).toContain(kept.byteLength)
    expect(summary.arrayBufferBytes).toBeGreaterThanOrEqual(kept.byteLength)
    expect(summary.totalBytes).toBeGreaterThan(summary.arrayBufferBytes)
  }, 60_000) // a snapshot of the whole test process: seconds on a loaded 2-core machine
})
