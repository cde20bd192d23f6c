/**
 * The predicted class: the first index of the highest value (equals keep their order, as `rank` sorts
 * them). -1 when there is none: no values, or a NaN among them (a broken model has no prediction, and a
 * count of right answers must not credit it with one). The trainer, the exporter's fidelity check, the
 * predictor and the bench all decide with this.
 */
export function argmax(values: ArrayLike<number>): number {
  let best = -1
  for (let i = 0; i < values.length; i++) {
    const value = values[i]!
    if (Number.isNaN(value)) return -1
    if (best < 0 || value > values[best]!) best = i
  }
  return best
}
