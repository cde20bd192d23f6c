import { resolve } from 'node:path'
import type { Quantization } from '@whisker/model-core'
import { readGraph, readModelDir, writeModelDir } from '@whisker/model-core/training'
import { Command, Option } from 'commander'
import { readDataset } from '../data/dataset.ts'
import { DEFAULTS } from '../paths.ts'
import { createReporter } from '../report/reporter.ts'
import { RUN_FILES, type RunRecord } from '../run/records.ts'
import { RunDir } from '../run/run-dir.ts'
import { selectBackend } from '../train/backend.ts'
import { type CardBase, exportGraph } from '../train/export-graph.ts'
import { ValidationSet } from '../train/validation-set.ts'
import { QUANTIZATIONS } from './flags.ts'

export function exportCommand(): Command {
  return new Command('export')
    .description(
      "Re-export a finished run's float32 graph with another quantization, measured on its validation split.",
    )
    .requiredOption('--run <dir>', 'a run directory written by `whisker train`')
    .addOption(new Option('--quantize <kind>', 'weight quantization').choices(QUANTIZATIONS).default('auto'))
    .option('--out <dir>', 'where the exported model goes', DEFAULTS.out)
    .action(async (flags: { run: string; quantize: Quantization; out: string }) => {
      const reporter = createReporter()
      await selectBackend('auto')
      const run = new RunDir(resolve(flags.run))
      const record = await run.readRecord()
      const float32 = await readModelDir(run.file(RUN_FILES.float32))
      const { nodes, tensors } = readGraph(float32.modelJson, float32.weights)
      const { val } = await run.readJson<{ val: string[] }>(RUN_FILES.split)
      const wanted = new Set(val)
      const dataset = await readDataset(validationRoot(record))
      const files = dataset.files.filter((f) => wanted.has(f.name))
      const validation = await ValidationSet.load(files, float32.card.labels, float32.card.input.resize)
      const { version: _v, createdAt: _c, quantization: _q, metrics, ...base } = float32.card
      const exported = await exportGraph(
        nodes,
        tensors,
        base satisfies CardBase,
        flags.quantize,
        validation,
        reporter,
        metrics.valAccuracy,
      )
      await writeModelDir(resolve(flags.out), { ...exported.graph, card: exported.card })
      console.log(
        [
          `validation accuracy: ${(exported.metrics.accuracy * 100).toFixed(2)} % (float32 ${(metrics.valAccuracy * 100).toFixed(2)} %)`,
          `validation log loss: ${exported.metrics.logLoss.toFixed(4)} (float32 ${metrics.valLogLoss.toFixed(4)})`,
          `weights: ${exported.graph.weights.byteLength} bytes (${flags.quantize})`,
          `model ${exported.card.version} written to ${resolve(flags.out)}`,
        ].join('\n'),
      )
    })
}

/** Where the run's validation photos live: its --val-data folder, or the training folder it split. */
function validationRoot(record: RunRecord): string {
  const valData = record.options.valData
  return typeof valData === 'string' ? valData : record.dataset.root
}
