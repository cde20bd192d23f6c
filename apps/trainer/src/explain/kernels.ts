import { readFile } from 'node:fs/promises'

/** A 2-D convolution kernel: rows of weights, top row first. */
export type Kernel = readonly (readonly number[])[]

const box = (side: number): Kernel =>
  Array.from({ length: side }, () => Array.from({ length: side }, () => 1 / (side * side)))

/**
 * The tutorial's kernels. Box filters average (blur); Sobel kernels respond to brightness changing from
 * left to right (x) or top to bottom (y); the Laplacian to changes in any direction; sharpen adds the
 * Laplacian's edges back to the picture.
 */
export const KERNELS = {
  box3: box(3),
  box8: box(8),
  'sobel-x': [
    [-1, 0, 1],
    [-2, 0, 2],
    [-1, 0, 1],
  ],
  'sobel-y': [
    [-1, -2, -1],
    [0, 0, 0],
    [1, 2, 1],
  ],
  laplacian: [
    [0, 1, 0],
    [1, -4, 1],
    [0, 1, 0],
  ],
  sharpen: [
    [0, -1, 0],
    [-1, 5, -1],
    [0, -1, 0],
  ],
} as const satisfies Record<string, Kernel>

export type KernelName = keyof typeof KERNELS
export const KERNEL_NAMES = Object.keys(KERNELS) as KernelName[]

/** A `--kernel` that is neither a known name nor a readable JSON file holding a valid kernel. */
export class InvalidKernelError extends Error {
  readonly code = 'INVALID_KERNEL'
  constructor(message: string) {
    super(message)
    this.name = 'InvalidKernelError'
  }
}

/** The most weights a kernel file may hold per side: the picture's own size would be pointless. */
export const MAX_KERNEL_SIDE = 31

/**
 * Checks a kernel: a non-empty rectangle of finite numbers, at most MAX_KERNEL_SIDE on a side. Accepts
 * the array itself or `{ "kernel": [[…]] }`.
 */
export function parseKernel(json: unknown, source = 'the kernel'): Kernel {
  const rows = isRecord(json) && 'kernel' in json ? json.kernel : json
  if (!Array.isArray(rows) || rows.length === 0)
    throw new InvalidKernelError(
      `${source} must be a non-empty array of rows, e.g. [[0, 1, 0], [1, -4, 1], [0, 1, 0]]`,
    )
  const width = Array.isArray(rows[0]) ? rows[0].length : 0
  for (const [y, row] of rows.entries()) {
    if (!Array.isArray(row) || row.length === 0 || row.length !== width)
      throw new InvalidKernelError(
        `${source}: row ${y} must be an array of ${width || 'some'} numbers, like row 0`,
      )
    for (const [x, value] of row.entries()) {
      if (typeof value !== 'number' || !Number.isFinite(value))
        throw new InvalidKernelError(`${source}: the weight at row ${y}, column ${x} is not a finite number`)
    }
  }
  if (rows.length > MAX_KERNEL_SIDE || width > MAX_KERNEL_SIDE)
    throw new InvalidKernelError(
      `${source} is ${rows.length} × ${width}; at most ${MAX_KERNEL_SIDE} × ${MAX_KERNEL_SIDE}`,
    )
  return rows as number[][]
}

/** `--kernel`: a name from KERNELS, or the path of a JSON file holding one. */
export async function resolveKernel(spec: string): Promise<{ name: string; kernel: Kernel }> {
  if (spec in KERNELS) return { name: spec, kernel: KERNELS[spec as KernelName] }
  if (!spec.toLowerCase().endsWith('.json'))
    throw new InvalidKernelError(
      `Unknown kernel "${spec}": use one of ${KERNEL_NAMES.join(', ')}, or a .json file`,
    )
  let text: string
  try {
    text = await readFile(spec, 'utf8')
  } catch (error) {
    throw new InvalidKernelError(
      `Cannot read ${spec}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
    )
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    throw new InvalidKernelError(`${spec} is not valid JSON: ${(error as Error).message}`)
  }
  const name = spec.replace(/^.*[\\/]/, '').replace(/\.json$/i, '')
  return { name, kernel: parseKernel(json, spec) }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
