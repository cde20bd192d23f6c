import sharp from 'sharp'

/**
 * Pictures Whisker draws itself (SVG rendered by sharp), for documentation that may be published: no
 * photo of anyone's is in them. Released under CC0 1.0, like everything these functions produce.
 */

/** Side of the drawings: the model's own input size. */
export const SCENE_SIZE = 224

/**
 * Shapes to convolve: a soft vertical gradient (a blur barely changes it), horizontal and vertical
 * stripes (Sobel x sees only the vertical ones, Sobel y only the horizontal ones), a disc and a
 * triangle (edges in every direction), and a small checkerboard (fine detail a box blur wipes out).
 */
export const SHAPES_SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="${SCENE_SIZE}" height="${SCENE_SIZE}" viewBox="0 0 224 224">
  <defs>
    <linearGradient id="sky" x1="0" y1="0" x2="0" y2="1">
      <stop offset="0" stop-color="#f4f1e8"/>
      <stop offset="1" stop-color="#8aa4c8"/>
    </linearGradient>
    <pattern id="checks" width="8" height="8" patternUnits="userSpaceOnUse">
      <rect width="8" height="8" fill="#ffffff"/>
      <rect width="4" height="4" fill="#202020"/>
      <rect x="4" y="4" width="4" height="4" fill="#202020"/>
    </pattern>
  </defs>
  <rect width="224" height="224" fill="url(#sky)"/>
  <g fill="#2b2b2b">
    <rect x="16" y="16" width="8" height="72"/><rect x="32" y="16" width="8" height="72"/>
    <rect x="48" y="16" width="8" height="72"/><rect x="64" y="16" width="8" height="72"/>
  </g>
  <g fill="#2b2b2b">
    <rect x="120" y="16" width="88" height="8"/><rect x="120" y="32" width="88" height="8"/>
    <rect x="120" y="48" width="88" height="8"/><rect x="120" y="64" width="88" height="8"/>
  </g>
  <circle cx="56" cy="156" r="40" fill="#c8553d"/>
  <polygon points="120,200 164,112 208,200" fill="#2f6f4f"/>
  <rect x="88" y="100" width="40" height="40" fill="url(#checks)"/>
</svg>`

/**
 * A cartoon cat's face: round head, triangle ears, eyes, nose and whiskers, on a plain background. Not a
 * photo, yet enough of a cat for a cats-and-dogs model to have an opinion and a heatmap to show.
 */
export const CAT_SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="${SCENE_SIZE}" height="${SCENE_SIZE}" viewBox="0 0 224 224">
  <rect width="224" height="224" fill="#e9e4da"/>
  <g fill="#8a8f99" stroke="#3b3f47" stroke-width="3">
    <polygon points="58,92 70,30 112,70"/>
    <polygon points="166,92 154,30 112,70"/>
    <ellipse cx="112" cy="124" rx="70" ry="62"/>
  </g>
  <g fill="#f1b6b6"><polygon points="66,78 73,44 98,68"/><polygon points="158,78 151,44 126,68"/></g>
  <g fill="#d9e87a" stroke="#2a2a2a" stroke-width="2">
    <ellipse cx="86" cy="112" rx="14" ry="11"/><ellipse cx="138" cy="112" rx="14" ry="11"/>
  </g>
  <g fill="#141414"><ellipse cx="86" cy="112" rx="4" ry="10"/><ellipse cx="138" cy="112" rx="4" ry="10"/></g>
  <polygon points="104,136 120,136 112,146" fill="#d77a8a"/>
  <path d="M112 146 q-10 14 -22 6 M112 146 q10 14 22 6" fill="none" stroke="#2a2a2a" stroke-width="2.5"/>
  <g stroke="#2a2a2a" stroke-width="2" stroke-linecap="round">
    <line x1="96" y1="142" x2="40" y2="132"/><line x1="96" y1="148" x2="38" y2="150"/>
    <line x1="96" y1="154" x2="44" y2="168"/><line x1="128" y1="142" x2="184" y2="132"/>
    <line x1="128" y1="148" x2="186" y2="150"/><line x1="128" y1="154" x2="180" y2="168"/>
  </g>
</svg>`

/** An SVG drawing as an RGB PNG file's bytes. */
export function renderSvg(svg: string): Promise<Buffer> {
  return sharp(Buffer.from(svg)).removeAlpha().png({ compressionLevel: 9 }).toBuffer()
}
