import { InvalidArgumentError } from 'commander'

/** Flag parsers shared by every subcommand: a bad value stops before any work with a clear message. */
export function positiveInt(value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive integer')
  return n
}

export function nonNegativeInt(value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a non-negative integer')
  return n
}

export function positiveNumber(value: string): number {
  const n = Number(value)
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number')
  return n
}

export function fraction(value: string): number {
  const n = Number(value)
  if (!Number.isFinite(n) || n <= 0 || n >= 1)
    throw new InvalidArgumentError('expected a number between 0 and 1')
  return n
}

/**
 * k of the nested k-fold cross-validation: each fold's head trains on k − 2 folds (one is measured, the next
 * one watched by early stopping), so k = 2 would leave it nothing to learn from.
 */
export function atLeastThree(value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 3) throw new InvalidArgumentError('expected an integer of at least 3')
  return n
}

export const QUANTIZATIONS = ['none', 'float16', 'uint8', 'auto'] as const
