import { type ExplainSpec, findExplainNodes, type GraphNode } from '@whisker/model-core'

/**
 * The card's `explain` for an exported graph: its feature-map and score nodes (findExplainNodes) and the
 * feature map's grid, read from the backbone's output shape (batch, height, width, channels).
 */
export function explainSpecOf(
  nodes: readonly GraphNode[],
  output: string,
  featureShape: readonly (number | null)[],
): ExplainSpec | undefined {
  const found = findExplainNodes(nodes, output)
  const [, height, width] = featureShape
  if (!found || !height || !width) return undefined
  return { ...found, grid: [height, width] }
}
