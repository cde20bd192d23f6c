/** A GitHub-flavoured Markdown table; numbers are formatted by the caller so units stay explicit. */
export function table(header: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const line = (cells: readonly (string | number)[]) => `| ${cells.map(String).join(' | ')} |`
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n')
}

export const ms = (value: number, digits = 2) => `${value.toFixed(digits)} ms`
export const pct = (value: number, digits = 2) => `${(value * 100).toFixed(digits)} %`
export const ratio = (value: number) => `${value.toFixed(2)}×`
