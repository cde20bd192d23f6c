/**
 * mulberry32: a small, fast, seedable PRNG; Math.random cannot be seeded, and runs and tests must be
 * reproducible. Here, the lowest layer, so the trainer (its shuffles and augmentations) and every package's
 * tests draw from the one generator. Eight lines by hand rather than a dependency: the registry's seeded
 * generators (seedrandom, …) bring several algorithms and a global Math.random override nobody here needs.
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
