import { Command, Option } from 'commander'
import { BACKEND_CHOICES, type BackendChoice } from '../core/backend.ts'
import { createReporter } from '../core/reporter.ts'
import { evaluateModel } from '../eval/evaluate.ts'
import { formatEvaluation } from '../eval/summary.ts'
import { DEFAULTS } from '../paths.ts'
import { positiveInt } from './flags.ts'

export function evaluateCommand(): Command {
  return new Command('evaluate')
    .description(
      'Score a trained model on a labelled folder: accuracy, log loss, ROC AUC, per-class precision/recall/F1 and the confusion matrix.',
    )
    .option('--model <dir>', 'the model folder (model.json, weights.bin, card.json)', DEFAULTS.out)
    .requiredOption(
      '--data <dir>',
      "labelled photos (folder-per-class or Kaggle's label.id.jpg); classes must be the model's labels",
    )
    .option('--json', 'print one machine-readable JSON object instead of the summary')
    .option('--batch-size <n>', 'photos per inference batch', positiveInt, 32)
    .option(
      '--positive <label>',
      "binary models: the class scored by the ROC curve (default: the card's labels[1])",
    )
    .addOption(
      new Option('--backend <name>', 'tfjs backend (wasm: the numbers the Worker gives)')
        .choices(BACKEND_CHOICES)
        .default('wasm'),
    )
    .action(async (opts: EvaluateFlags) => {
      const reporter = createReporter()
      const report = await evaluateModel({
        model: opts.model,
        data: opts.data,
        batchSize: opts.batchSize,
        backend: opts.backend,
        ...(opts.positive !== undefined && { positive: opts.positive }),
        onProgress: (stage, total) => reporter.stage(stage, total),
      })
      console.log(opts.json ? JSON.stringify(report) : formatEvaluation(report))
    })
}

interface EvaluateFlags {
  model: string
  data: string
  json?: boolean
  batchSize: number
  positive?: string
  backend: BackendChoice
}
