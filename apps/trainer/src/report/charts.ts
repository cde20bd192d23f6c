import * as vega from 'vega'
import { compile, type TopLevelSpec } from 'vega-lite'
import type { RocSummary } from '../core/metrics.ts'
import type { EpochRecord } from '../run/records.ts'

/**
 * The report's charts: vega-lite specs rendered to static SVG in Node (no browser, no scripts in the
 * page). The SVG is meant to be inlined in HTML, where the parser supplies the SVG namespace, so the
 * namespace URIs are dropped and the page holds no URL at all.
 */

const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif'
const SERIES = { domain: ['train', 'validation'], range: ['#4c78a8', '#f58518'] }

const CONFIG = {
  font: FONT,
  background: 'transparent',
  view: { stroke: '#e5e7eb' },
  axis: { labelColor: '#374151', titleColor: '#374151', gridColor: '#eef0f3', titleFontWeight: 500 },
  legend: { labelColor: '#374151', titleColor: '#374151' },
  title: { anchor: 'start', fontSize: 13, fontWeight: 600, color: '#111827', offset: 10 },
} as const

/** Renders a vega-lite spec to an inline SVG element. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile({ config: CONFIG, ...spec } as TopLevelSpec).spec), {
    renderer: 'none',
  })
  try {
    const svg = await view.toSVG()
    return svg.replace(/\s+xmlns(?::xlink)?="[^"]*"/g, '')
  } finally {
    view.finalize()
  }
}

type Metric = 'loss' | 'acc'

/** Train vs validation per epoch, with the epoch of lowest validation loss marked. */
export function curveSpec(history: readonly EpochRecord[], metric: Metric): TopLevelSpec {
  const validationKey = metric === 'loss' ? 'val_loss' : 'val_acc'
  const values = history.flatMap((h) =>
    [
      { epoch: h.epoch, split: 'train', value: h[metric] },
      { epoch: h.epoch, split: 'validation', value: h[validationKey] },
    ].filter((v) => Number.isFinite(v.value)),
  )
  const best = bestEpoch(history)
  const title = metric === 'loss' ? 'Loss (cross-entropy) per epoch' : 'Accuracy per epoch'
  return {
    title,
    width: 340,
    height: 200,
    data: { values },
    layer: [
      {
        mark: { type: 'line', point: { size: 24 }, strokeWidth: 2 },
        encoding: {
          x: { field: 'epoch', type: 'quantitative', axis: { tickMinStep: 1, format: 'd' }, title: 'epoch' },
          y: {
            field: 'value',
            type: 'quantitative',
            title: metric === 'loss' ? 'loss' : 'accuracy',
            scale: { zero: metric === 'loss' },
            ...(metric === 'acc' && { axis: { format: '.0%' } }),
          },
          color: { field: 'split', type: 'nominal', scale: SERIES, legend: { orient: 'top', title: null } },
        },
      },
      ...(best === undefined
        ? []
        : [
            {
              data: { values: [{ epoch: best }] },
              mark: { type: 'rule' as const, strokeDash: [4, 4], color: '#9ca3af' },
              encoding: { x: { field: 'epoch', type: 'quantitative' as const } },
            },
          ]),
    ],
  }
}

/** The epoch with the lowest validation loss (what early stopping keeps). */
export function bestEpoch(history: readonly EpochRecord[]): number | undefined {
  let best: EpochRecord | undefined
  for (const h of history) if (Number.isFinite(h.val_loss) && (!best || h.val_loss < best.val_loss)) best = h
  return best?.epoch
}

/** Heatmap of matrix[true][predicted]: each cell shows its count, shaded by its share of the true class. */
export function confusionSpec(labels: readonly string[], confusion: readonly number[][]): TopLevelSpec {
  const values = confusion.flatMap((row, t) => {
    const total = row.reduce((s, n) => s + n, 0)
    return row.map((count, p) => ({
      truth: labels[t]!,
      predicted: labels[p]!,
      count,
      share: total ? count / total : 0,
    }))
  })
  const side = Math.max(160, Math.min(480, 64 * labels.length))
  const x = {
    field: 'predicted',
    type: 'nominal',
    sort: [...labels],
    title: 'predicted class',
    axis: { labelAngle: 0 },
  }
  const y = { field: 'truth', type: 'nominal', sort: [...labels], title: 'true class' }
  return {
    title: 'Confusion matrix (validation)',
    width: side,
    height: side,
    data: { values },
    layer: [
      {
        mark: { type: 'rect', stroke: 'white', strokeWidth: 2 },
        encoding: {
          x,
          y,
          color: {
            field: 'share',
            type: 'quantitative',
            title: 'share of true class',
            scale: { scheme: 'blues', domain: [0, 1] },
            legend: { format: '.0%', gradientLength: side - 20 },
          },
        },
      },
      {
        mark: { type: 'text', fontSize: 14, fontWeight: 600 },
        encoding: {
          x,
          y,
          text: { field: 'count', type: 'quantitative' },
          color: { condition: { test: 'datum.share > 0.5', value: 'white' }, value: '#111827' },
        },
      },
    ],
  } as TopLevelSpec
}

/** ROC curve(s) with the chance diagonal; the title carries the AUC. */
export function rocSpec(
  curves: readonly RocSummary[],
  auc: number | null,
  positive: string | null,
): TopLevelSpec {
  const values = curves.flatMap((c) =>
    c.points.map((p, i) => ({ curve: c.label, i, fpr: p.fpr, tpr: p.tpr })),
  )
  const aucText = auc === null ? 'AUC undefined (one class only)' : `AUC ${auc.toFixed(4)}`
  const title =
    positive !== null
      ? `ROC curve: ${aucText} (positive class: ${positive})`
      : `ROC curves, one-vs-rest: macro ${aucText}`
  const axis = (title: string) => ({ type: 'quantitative' as const, title, scale: { domain: [0, 1] } })
  return {
    title,
    width: 260,
    height: 260,
    layer: [
      {
        data: {
          values: [
            { fpr: 0, tpr: 0 },
            { fpr: 1, tpr: 1 },
          ],
        },
        mark: { type: 'line', strokeDash: [4, 4], color: '#9ca3af' },
        encoding: {
          x: { field: 'fpr', ...axis('false positive rate') },
          y: { field: 'tpr', ...axis('true positive rate') },
        },
      },
      {
        data: { values },
        mark: { type: 'line', strokeWidth: 2, ...(positive !== null && { color: '#4c78a8' }) },
        encoding: {
          x: { field: 'fpr', ...axis('false positive rate') },
          y: { field: 'tpr', ...axis('true positive rate') },
          order: { field: 'i', type: 'quantitative' },
          ...(positive === null && { color: { field: 'curve', type: 'nominal', title: 'class' } }),
        },
      },
    ],
  }
}
