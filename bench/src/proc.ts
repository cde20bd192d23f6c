import { readdirSync, readFileSync, writeFileSync } from 'node:fs'

/**
 * Another process's CPU time and memory as Linux accounts them (/proc), for measuring workerd from outside:
 * Server-Timing inside a Worker is wall time (and frozen between I/O when deployed), so on a shared machine it
 * counts the time other processes held the cores. The scheduler's per-thread nanoseconds do not.
 */

/**
 * CPU time (user + system) a thread has run, in milliseconds: the first field of its schedstat, in ns. The
 * kernel brings it up to date when the thread stops running, so it is exact for a thread that waits (workerd
 * between requests) and may lag by up to a scheduler tick for one that runs (the caller: use
 * `process.threadCpuUsage()` for that).
 */
export function threadCpuMs(pid: number, tid: number = pid): number {
  return Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]) / 1e6
}

/**
 * CPU time of every live thread of a process, in milliseconds. Threads that exited are not counted, so a
 * difference is exact only across a stretch in which no thread ended (workerd's threads live as long as it).
 */
export function processCpuMs(pid: number): number {
  let total = 0
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      total += threadCpuMs(pid, Number(tid))
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return total
}

/** Resident set size now and its peak (VmRSS, VmHWM), in bytes. */
export function residentBytes(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN)
  return { rss: kib('VmRSS') * 1024, peak: kib('VmHWM') * 1024 }
}

/**
 * Restarts the peak (VmHWM) from the present RSS, so a peak can be read per phase. Needs the right to write
 * /proc/PID/clear_refs (the process's owner); returns false where that is refused.
 */
export function resetPeakResident(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5')
    return true
  } catch {
    return false
  }
}

/** Every descendant of `pid` (children, their children…) with its executable's name. */
export function descendants(pid: number): Array<{ pid: number; name: string }> {
  const found: Array<{ pid: number; name: string }> = []
  const queue = [pid]
  while (queue.length > 0) {
    const parent = queue.shift()!
    for (const tid of safeList(`/proc/${parent}/task`)) {
      for (const child of safeRead(`/proc/${parent}/task/${tid}/children`).split(' ').filter(Boolean)) {
        const id = Number(child)
        found.push({ pid: id, name: safeRead(`/proc/${id}/comm`).trim() })
        queue.push(id)
      }
    }
  }
  return found
}

function safeList(path: string): string[] {
  try {
    return readdirSync(path)
  } catch {
    return []
  }
}

function safeRead(path: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return ''
  }
}
