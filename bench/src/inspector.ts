/** What V8 says one isolate holds (Chrome DevTools Protocol, Runtime.getHeapUsage), in bytes. */
export interface HeapUsage {
  /** Live JS objects. */
  usedSize: number
  /** The JS heap as allocated (used plus garbage not yet collected plus free space). */
  totalSize: number
  /** ArrayBuffer backing stores outside the JS heap: request bodies, decoded pixels, wasm memories. */
  backingStorageSize: number
}

/**
 * A DevTools session with the Worker's isolate through `wrangler dev --inspector-port`: the one way to read
 * the isolate's own memory from outside, where workerd's resident memory also holds workerd itself and the
 * other workers of wrangler's local setup. wrangler's inspector proxy refuses a WebSocket without an Origin.
 */
export async function connectInspector(port: number): Promise<{
  heapUsage(): Promise<HeapUsage | undefined>
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
  socket.onmessage = (event) => {
    const message = JSON.parse(String(event.data)) as { id?: number; result?: unknown }
    if (message.id !== undefined) waiting.get(message.id)?.(message.result)
  }
  // High ids: wrangler's proxy speaks to the isolate with its own low ones on the same session.
  let next = 7_000_000
  return {
    heapUsage: () =>
      new Promise((answer) => {
        const id = next++
        const timer = setTimeout(() => answer(undefined), 5000)
        waiting.set(id, (result) => {
          clearTimeout(timer)
          waiting.delete(id)
          answer(result as HeapUsage)
        })
        socket.send(JSON.stringify({ id, method: 'Runtime.getHeapUsage' }))
      }),
    close: () => socket.close(),
  }
}
