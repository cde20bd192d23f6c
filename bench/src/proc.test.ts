import { spawn } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { descendants, processCpuMs, resetPeakResident, residentBytes, threadCpuMs } from './proc.ts'

describe('proc: another process measured from /proc', () => {
  it('counts the CPU time a busy loop spends, on the thread and the process', () => {
    const thread = threadCpuMs(process.pid)
    const all = processCpuMs(process.pid)
    // Busy for 60 ms of this thread's CPU time, not of wall time: on a loaded machine a wall-clock loop may
    // get only a fraction of a core. /proc can trail a running thread by a scheduler tick, hence 40.
    const cpuMs = () => {
      const { user, system } = process.threadCpuUsage()
      return (user + system) / 1000
    }
    const start = cpuMs()
    while (cpuMs() - start < 60) {
      // busy
    }
    expect(threadCpuMs(process.pid) - thread).toBeGreaterThan(40)
    expect(processCpuMs(process.pid) - all).toBeGreaterThanOrEqual(threadCpuMs(process.pid) - thread - 1)
  })

  it('reads resident memory and its peak, and restarts the peak from the present', () => {
    const held = new Uint8Array(64 * 1024 * 1024).fill(1)
    const { rss, peak } = residentBytes(process.pid)
    expect(rss).toBeGreaterThan(held.length)
    expect(peak).toBeGreaterThanOrEqual(rss)
    expect(resetPeakResident(process.pid)).toBe(true)
    const after = residentBytes(process.pid)
    expect(after.peak).toBeGreaterThanOrEqual(after.rss)
    expect(after.peak).toBeLessThanOrEqual(Math.max(peak, after.rss))
  })

  it('finds a spawned child among the descendants, by name', async () => {
    const child = spawn('sleep', ['5'])
    try {
      await new Promise((r) => setTimeout(r, 100))
      expect(descendants(process.pid)).toContainEqual({ pid: child.pid, name: 'sleep' })
    } finally {
      child.kill()
    }
  })
})
