/** What V8 says one isolate holds (Chrome DevTools Protocol, Runtime.getHeapUsage), in bytes. */
export interface HeapUsage {
  /** Live JS objects. */
  usedSize: number
  /** The JS heap as allocated (used plus garbage not yet collected plus free space). */
  totalSize: number
  /** ArrayBuffer backing stores outside the JS heap: request bodies, decoded pixels, wasm memories. */
  backingStorageSize: number
}

/** What one isolate holds right after a full garbage collection, read from a V8 heap snapshot, in bytes. */
export interface IsolateMemory {
  /** Every node's self size: JS objects, strings, compiled code and ArrayBuffer backing stores. */
  totalBytes: number
  /** ArrayBuffer backing stores (`system / JSArrayBufferData`), wasm memories and the bundled weights included. */
  arrayBufferBytes: number
  /** The largest backing stores, largest first: the tfjs wasm heap, the codecs' memories, the weights. */
  largestBuffers: number[]
  /** Runtime.getHeapUsage read just after the snapshot's collection. */
  heap: HeapUsage | undefined
}

/** The parts of a V8 heap snapshot read here: nodes are a flat array, `node_fields` numbers a node. */
export interface HeapSnapshot {
  snapshot: { meta: { node_fields: string[] } }
  nodes: number[]
  strings: string[]
}

/**
 * A DevTools session with the Worker's isolate through `wrangler dev --inspector-port`: the one way to read
 * the isolate's own memory from outside, where workerd's resident memory also holds workerd itself and the
 * other workers of wrangler's local setup. wrangler's inspector proxy refuses a WebSocket without an Origin.
 */
export async function connectInspector(port: number): Promise<{
  heapUsage(): Promise<HeapUsage | undefined>
  afterFullGc(): Promise<IsolateMemory | undefined>
  close(): void
}> {
  const socket = new WebSocket(`ws://127.0.0.1:${port}/ws`, {
    headers: { Origin: `http://127.0.0.1:${port}` },
  } as unknown as string[]) // Node's WebSocket takes headers; the DOM typing does not
  await new Promise((opened, failed) => {
    socket.onopen = opened
    socket.onerror = () => failed(new Error(`no inspector at 127.0.0.1:${port}`))
  })
  const waiting = new Map<number, (result: unknown) => void>()
  let snapshotChunks: string[] = []
  socket.onmessage = (event) => {
    const message = JSON.parse(String(event.data)) as {
      id?: number
      result?: unknown
      error?: unknown
      method?: string
      params?: { chunk?: string }
    }
    if (message.method === 'HeapProfiler.addHeapSnapshotChunk') {
      snapshotChunks.push(message.params?.chunk ?? '')
    } else if (message.id !== undefined) {
      // workerd's reply to takeHeapSnapshot, after the last chunk, carries our id but no result at all.
      waiting.get(message.id)?.(message.error === undefined ? (message.result ?? {}) : undefined)
    }
  }
  // High ids: wrangler's proxy speaks to the isolate with its own low ones on the same session.
  let next = 7_000_000
  const call = <T>(method: string, timeoutMs: number, params: object = {}): Promise<T | undefined> =>
    new Promise((answer) => {
      const id = next++
      const timer = setTimeout(() => answer(undefined), timeoutMs)
      waiting.set(id, (result) => {
        clearTimeout(timer)
        waiting.delete(id)
        answer(result as T)
      })
      socket.send(JSON.stringify({ id, method, params }))
    })
  const heapUsage = () => call<HeapUsage>('Runtime.getHeapUsage', 5000)
  return {
    heapUsage,
    /**
     * Forces a full collection and reads what survives. workerd (2026-11-17, behind wrangler 4.164's proxy)
     * never answers HeapProfiler.collectGarbage and collects nothing for it; a heap snapshot does answer,
     * and V8 collects garbage before taking one, so the snapshot's node sizes are the live memory.
     */
    async afterFullGc() {
      snapshotChunks = []
      const done = await call('HeapProfiler.takeHeapSnapshot', 120_000, { reportProgress: false })
      if (done === undefined) return undefined
      const snapshot = JSON.parse(snapshotChunks.join('')) as HeapSnapshot
      snapshotChunks = []
      return { ...summarizeSnapshot(snapshot), heap: await heapUsage() }
    },
    close: () => socket.close(),
  }
}

/** Sums a heap snapshot's node sizes, and those of its ArrayBuffer backing stores apart. */
export function summarizeSnapshot(snapshot: HeapSnapshot): Omit<IsolateMemory, 'heap'> {
  const fields = snapshot.snapshot.meta.node_fields
  const stride = fields.length
  const [nameAt, sizeAt] = [fields.indexOf('name'), fields.indexOf('self_size')]
  let totalBytes = 0
  const buffers: number[] = []
  for (let i = 0; i < snapshot.nodes.length; i += stride) {
    const size = snapshot.nodes[i + sizeAt]!
    totalBytes += size
    if (snapshot.strings[snapshot.nodes[i + nameAt]!] === 'system / JSArrayBufferData') buffers.push(size)
  }
  buffers.sort((a, b) => b - a)
  return {
    totalBytes,
    arrayBufferBytes: buffers.reduce((a, b) => a + b, 0),
    largestBuffers: buffers.slice(0, 3),
  }
}
