import { resolve } from 'node:path'
import { Command } from 'commander'
import { displayPath } from '../paths.ts'
import { writeReport } from '../report/html.ts'

/** Re-renders a run's report.html (training writes it too); handy after changing the report itself. */
export function reportCommand(): Command {
  return new Command('report')
    .description(
      "Write a run's self-contained report.html (curves, confusion matrix, ROC, confident mistakes).",
    )
    .requiredOption('--run <dir>', 'a run directory written by `whisker train`')
    .action(async (flags: { run: string }) => {
      console.log(`report: ${displayPath(await writeReport(resolve(flags.run)))}`)
    })
}
