import { resolve } from 'node:path'
import type { Quantization } from '@whisker/model-core'
import { readGraph, readModelDir, writeModelDir } from '@whisker/model-core/training'
import { Command, Option } from 'commander'
import { selectBackend } from '../core/backend.ts'
import { percent } from '../core/format.ts'
import { scoreProbabilities } from '../core/metrics.ts'
import { createReporter } from '../core/reporter.ts'
import { readDataset } from '../data/dataset.ts'
import { sampleByName } from '../data/split.ts'
import { DEFAULTS, displayPath } from '../paths.ts'
import { RUN_FILES, type RunRecord } from '../run/records.ts'
import { RunDir } from '../run/run-dir.ts'
import { type CardBase, cardFor, describeChange, exportGraph } from '../train/export-graph.ts'
import { JUDGING_PHOTOS } from '../train/finish.ts'
import { PhotoSet } from '../train/photo-set.ts'
import { QUANTIZATIONS } from './flags.ts'

export function exportCommand(): Command {
  return new Command('export')
    .description(
      "Re-export a finished run's float32 graph with another quantization, judged against the float32 graph's answers.",
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
      const split = await run.readJson<{ train: string[]; val: string[] }>(RUN_FILES.split)
      const named = (root: string, names: string[]) =>
        readDataset(root).then((d) => {
          const wanted = new Set(names)
          return d.files.filter((f) => wanted.has(f.name))
        })
      const { labels, input } = float32.card
      const seed = Number(record.options.seed ?? 0)
      const judging = await PhotoSet.load(
        sampleByName(await named(record.dataset.root, split.train), JUDGING_PHOTOS, seed),
        labels,
        input.resize,
      )
      const {
        version: _v,
        createdAt: _c,
        quantization: _q,
        metrics,
        estimate,
        exportFidelity: _f,
        ...base
      } = float32.card
      const { served } = await exportGraph(
        nodes,
        tensors,
        base satisfies CardBase,
        flags.quantize,
        judging,
        reporter,
      )
      const card = await cardFor(served.graph, base, flags.quantize, {
        metrics,
        estimate,
        ...(flags.quantize === 'none' ? {} : { exportFidelity: { ...served.change } }),
      })
      await writeModelDir(resolve(flags.out), { ...served.graph, card })
      const lines = [
        `against float32 on ${judging.size} training photos: ${describeChange(served.change)}`,
        `weights: ${served.graph.weights.byteLength} bytes (${flags.quantize})`,
        `model ${card.version} written to ${displayPath(flags.out)}`,
      ]
      if (split.val.length > 0) {
        const sealed = await PhotoSet.load(
          await named(validationRoot(record), split.val),
          labels,
          input.resize,
        )
        const scored = scoreProbabilities(await sealed.probabilities({ ...served.graph, card }), sealed.truth)
        lines.unshift(
          `on the run's ${scored.count} validation photos: accuracy ${percent(scored.accuracy)}, log loss ${scored.logLoss.toFixed(4)}`,
        )
      }
      console.log(lines.join('\n'))
    })
}

/** Where the run's validation photos live: its --val-data folder, or the training folder it split. */
function validationRoot(record: RunRecord): string {
  const valData = record.options.valData
  return typeof valData === 'string' ? valData : record.dataset.root
}
