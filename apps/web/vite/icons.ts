import { readFileSync } from 'node:fs'
import sharp from 'sharp'
import type { Plugin } from 'vite'

/** The page's colours (src/styles.css, light scheme): the maskable icon's background and the theme. */
export const BRAND = { background: '#f5f5f2', accent: '#1f4fd1' } as const

/** An icon the web app manifest lists; rendered from the one SVG, never committed as PNG. */
export interface IconSpec {
  readonly fileName: string
  readonly size: number
  /**
   * `maskable` (Android crops it to a circle or squircle): drawn on an opaque background, inside the
   * central 80 % safe zone; `opaque` (iOS home screen, which shows transparency as black) likewise but
   * larger; `any`: the SVG as it is, transparent around it.
   */
  readonly kind: 'any' | 'maskable' | 'opaque'
}

export const ICONS: readonly IconSpec[] = [
  { fileName: 'icons/icon-192.png', size: 192, kind: 'any' },
  { fileName: 'icons/icon-512.png', size: 512, kind: 'any' },
  { fileName: 'icons/icon-maskable-512.png', size: 512, kind: 'maskable' },
  { fileName: 'icons/apple-touch-icon-180.png', size: 180, kind: 'opaque' },
]

/** Share of the side the drawing takes: the maskable safe zone is a circle of 80 % of the side. */
const INSET: Record<IconSpec['kind'], number> = { any: 1, maskable: 0.6, opaque: 0.8 }

export async function renderIcon(svg: Buffer, icon: IconSpec): Promise<Buffer> {
  const inner = Math.round(icon.size * INSET[icon.kind])
  // A high density rasterises the 32-unit viewBox sharply at any size before the resize.
  const drawing = await sharp(svg, { density: (72 * inner) / 32 })
    .resize(inner, inner)
    .png()
    .toBuffer()
  if (icon.kind === 'any') return sharp(drawing).png({ compressionLevel: 9, palette: true }).toBuffer()
  return sharp({
    create: { width: icon.size, height: icon.size, channels: 4, background: BRAND.background },
  })
    .composite([{ input: drawing, gravity: 'centre' }])
    .png({ compressionLevel: 9, palette: true })
    .toBuffer()
}

/** Emits the manifest's PNG icons into the build, rendered from `svgPath` (public/favicon.svg). */
export function pwaIcons(svgPath: string): Plugin {
  return {
    name: 'whisker-pwa-icons',
    apply: 'build',
    async generateBundle() {
      const svg = readFileSync(svgPath)
      for (const icon of ICONS) {
        this.emitFile({ type: 'asset', fileName: icon.fileName, source: await renderIcon(svg, icon) })
      }
    },
  }
}
