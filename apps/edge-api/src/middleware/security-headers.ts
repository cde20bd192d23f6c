import { secureHeaders } from 'hono/secure-headers'

/**
 * Security headers for every response, the page's included (wrangler.jsonc runs the Worker first for static
 * assets too). The CSP fits apps/web/dist as built by Vite: module scripts (and a lazily imported chunk) and
 * stylesheets from our origin, no inline script or style element, API and model-file fetches to our origin,
 * the photo preview from a `blob:` URL and recent-result thumbnails as `data:` URLs. `'wasm-unsafe-eval'`
 * lets the page's "on this device" mode compile WebAssembly (tfjs and the decoders, the same numbers as the
 * Worker); it allows no JS eval. Setting `element.style.width` from script is CSSOM, which CSP allows.
 * If the page ever needs an inline <script>, hash it here rather than adding 'unsafe-inline'.
 */
export const securityHeaders = secureHeaders({
  contentSecurityPolicy: {
    defaultSrc: ["'self'"],
    scriptSrc: ["'self'", "'wasm-unsafe-eval'"],
    styleSrc: ["'self'"],
    imgSrc: ["'self'", 'blob:', 'data:'],
    connectSrc: ["'self'"],
    objectSrc: ["'none'"],
    baseUri: ["'none'"],
    formAction: ["'none'"],
    frameAncestors: ["'none'"],
  },
  xFrameOptions: 'DENY', // frame-ancestors for browsers without CSP 2
  referrerPolicy: 'strict-origin-when-cross-origin',
  // The API is called cross-origin (CORS) by the origins in CORS_ORIGINS; CORP only governs no-cors loads
  // such as <img>, so `same-origin` (the default) is right and stays.
})
