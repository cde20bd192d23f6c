import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import * as vega from 'vega'
import { compile, type TopLevelSpec } from 'vega-lite'
import { REPO_ROOT } from './paths.ts'

/** Where chart files go; docs/benchmarks.md embeds them by relative path. */
const CHART_DIR = join(REPO_ROOT, 'docs', 'images')

/**
 * Renders a Vega-Lite spec to an SVG file next to the docs and returns the Markdown that embeds it.
 * Server-side SVG: no browser, no canvas, and the docs stay readable on GitHub.
 */
export async function chart(name: string, alt: string, spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' })
  const svg = await view.toSVG()
  view.finalize()
  await mkdir(CHART_DIR, { recursive: true })
  await writeFile(join(CHART_DIR, `${name}.svg`), svg)
  return `![${alt}](images/${name}.svg)`
}
