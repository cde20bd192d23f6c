import { Command, InvalidArgumentError, Option } from 'commander'
import { BACKEND_CHOICES } from '../core/backend.ts'
import { createReporter } from '../core/reporter.ts'
import { type PredictOptions, predictSubmission, UNREADABLE_PROBABILITY } from '../eval/predict.ts'
import { DEFAULTS, displayPath } from '../paths.ts'
import { positiveInt } from './flags.ts'

export function predictCommand(): Command {
  return new Command('predict')
    .description(
      'Write a Kaggle submission for a folder of unlabelled photos (1.jpg …): CSV id,label with label = P(positive class), rows in id order.',
    )
    .option('--model <dir>', 'the model folder (model.json, weights.bin, card.json)', DEFAULTS.out)
    .requiredOption('--data <dir>', 'the unlabelled photos; the id is the file name without extension')
    .requiredOption('--submission <file>', 'the CSV to write (replaced atomically)')
    .option(
      '--clip <eps>',
      'clip probabilities to [eps, 1 - eps], 0 < eps < 0.5 (bounds the log loss)',
      epsilon,
    )
    .option(
      '--positive <label>',
      "the class whose probability is written (default: dog if the model has it, else the card's labels[1])",
    )
    .option('--batch-size <n>', 'photos per inference batch', positiveInt, 32)
    .option(
      '--explain',
      "also write <id>.explain.png per photo: where the model looked for its answer (the card's method: Grad-CAM or CAM), over the part of the photo it saw",
    )
    .option(
      '--explain-dir <dir>',
      'where the --explain pictures go (default: beside the submission); implies --explain',
    )
    .addOption(
      new Option('--backend <name>', 'tfjs backend (wasm: the numbers the Worker gives)')
        .choices(BACKEND_CHOICES)
        .default('wasm'),
    )
    .action(async (opts: PredictFlags) => {
      const reporter = createReporter()
      const summary = await predictSubmission({
        model: opts.model,
        data: opts.data,
        submission: opts.submission,
        batchSize: opts.batchSize,
        backend: opts.backend,
        ...((opts.explain || opts.explainDir !== undefined) && { explain: opts.explainDir ?? true }),
        ...(opts.clip !== undefined && { clip: opts.clip }),
        ...(opts.positive !== undefined && { positive: opts.positive }),
        onProgress: (stage, total) => reporter.stage(stage, total),
      })
      for (const s of summary.skipped) console.error(`not an image, left out: ${s.name} (${s.reason})`)
      for (const u of summary.unreadable)
        console.error(`unreadable, written as ${UNREADABLE_PROBABILITY}: ${u.name} (${u.reason})`)
      const counted = summary.rows.length - summary.unreadable.length
      const predictedPositive = summary.rows.filter((r) => r.probability > 0.5).length
      console.log(
        [
          `wrote ${summary.rows.length} rows of P(${summary.positive}) to ${displayPath(summary.path)}` +
            (opts.clip !== undefined ? `, clipped to [${opts.clip}, ${1 - opts.clip}]` : ''),
          `${counted} photos classified on ${summary.backend}, ${predictedPositive} with P(${summary.positive}) > 0.5` +
            (summary.unreadable.length
              ? `; ${summary.unreadable.length} unreadable, written as ${UNREADABLE_PROBABILITY}`
              : ''),
          ...(summary.explained
            ? [
                `${summary.explained.count} heatmaps (${summary.explained.method}) written to ${displayPath(summary.explained.dir)} as <id>.explain.png`,
              ]
            : []),
        ].join('\n'),
      )
    })
}

/** The options `predictSubmission` takes, but for --explain, which commander gives as a switch and a folder. */
interface PredictFlags extends Omit<PredictOptions, 'explain' | 'onProgress'> {
  explain?: boolean
  explainDir?: string
}

function epsilon(value: string): number {
  const n = Number(value)
  if (!Number.isFinite(n) || n <= 0 || n >= 0.5)
    throw new InvalidArgumentError('expected a number greater than 0 and less than 0.5')
  return n
}
