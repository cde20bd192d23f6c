/** A share as a percentage's digits, `0.98437` → `98.44` (2 decimals unless told): for ranges like `97.9–98.8 %`. */
export function percentDigits(share: number, digits = 2): string {
  return (share * 100).toFixed(digits)
}

/** A share as a percentage, `0.98437` → `98.44 %`: how every accuracy and confidence the trainer prints reads. */
export function percent(share: number, digits = 2): string {
  return `${percentDigits(share, digits)} %`
}
