import { percent } from '../core/format.ts'
import { displayPath } from '../paths.ts'
import type { EvaluationReport } from './evaluate.ts'

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`
const fixed = (x: number | null, digits = 4) => (x === null ? 'undefined' : x.toFixed(digits))

/** Right-aligned columns; the first column left-aligned. */
export function table(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)))
  return rows.map((row) =>
    row
      .map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!)))
      .join('  ')
      .trimEnd(),
  )
}

/** The human-readable summary `whisker evaluate` prints. */
export function formatEvaluation(report: EvaluationReport): string {
  const { model, data } = report
  const correct = report.confusion.reduce((s, row, i) => s + (row[i] ?? 0), 0)
  const counts = Object.entries(data.classCounts)
    .map(([label, n]) => `${label} ${n}`)
    .join(', ')
  const lines = [
    `model       ${model.name} ${model.version} (${model.quantization}; labels ${model.labels.join(', ')}) in ${model.dir}`,
    `data        ${displayPath(data.root)}: ${data.photos} photos (${counts}); ${report.count} evaluated on ${report.backend}`,
  ]
  if (data.skipped.length > 0) {
    lines.push(
      `skipped     ${plural(data.skipped.length, 'entry that is not a labelled photo', 'entries that are not labelled photos')}:`,
    )
    for (const s of data.skipped) lines.push(`              ${s.name} (${s.reason})`)
  }
  if (data.unreadable.length > 0) {
    lines.push(`unreadable  ${plural(data.unreadable.length, 'photo', 'photos')}, not evaluated:`)
    for (const u of data.unreadable) lines.push(`              ${u.name} (${u.reason})`)
  }
  const auc =
    report.positive !== null
      ? `${fixed(report.rocAuc)} (positive class: ${report.positive})`
      : `${fixed(report.rocAuc)} (macro one-vs-rest)`
  lines.push(
    '',
    `accuracy    ${percent(report.accuracy)} (${correct} of ${report.count})`,
    `log loss    ${report.logLoss.toFixed(4)}`,
    `ROC AUC     ${auc}`,
    '',
    ...table([
      ['class', 'precision', 'recall', 'F1', 'support'],
      ...report.perClass.map((c) => [
        c.label,
        fixed(c.precision),
        fixed(c.recall),
        fixed(c.f1),
        `${c.support}`,
      ]),
      ['macro', fixed(report.macro.precision), fixed(report.macro.recall), fixed(report.macro.f1), ''],
    ]),
    '',
    'confusion matrix (rows: true class, columns: predicted class)',
    ...table([
      ['', ...report.labels],
      ...report.confusion.map((row, i) => [report.labels[i]!, ...row.map(String)]),
    ]),
  )
  return lines.join('\n')
}
