#!/usr/bin/env node
import { Command } from 'commander'
import { doctorCommand } from './commands/doctor.ts'
import { evaluateCommand } from './commands/evaluate.ts'
import { exportCommand } from './commands/export.ts'
import { filtersCommand } from './commands/filters.ts'
import { predictCommand } from './commands/predict.ts'
import { reportCommand } from './commands/report.ts'
import { trainCommand } from './commands/train.ts'
import { displayPathsIn } from './paths.ts'

const program = new Command('whisker')
  .description('Whisker: labelled photos in, a small fast image classifier at the edge out.')
  .showHelpAfterError()
  .addCommand(trainCommand())
  .addCommand(evaluateCommand())
  .addCommand(predictCommand())
  .addCommand(exportCommand())
  .addCommand(reportCommand())
  .addCommand(filtersCommand())
  .addCommand(doctorCommand())

try {
  await program.parseAsync()
} catch (error) {
  // Known failures carry a stable code; print the message, not a stack, and exit non-zero.
  const code = (error as { code?: unknown }).code
  if (error instanceof Error && typeof code === 'string') {
    console.error(`whisker: ${displayPathsIn(error.message)} [${code}]`)
    process.exit(1)
  }
  throw error
}
