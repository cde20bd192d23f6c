export { ExplainUnsupportedError, GradientsMissingError, gradCam } from './grad-cam.ts'
export { type Heatmap, heatColor, heatmapRows, pngDataUrl, type RgbaImage, renderHeatmap } from './heatmap.ts'
export { type ExplainNodes, findExplainNodes } from './nodes.ts'
