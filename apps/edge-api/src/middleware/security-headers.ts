import { secureHeaders } from 'hono/secure-headers'

/**
 * Security headers for every response, the page's included (wrangler.jsonc runs the Worker first for static
 * assets too). The CSP fits apps/web/dist as built by Vite: one module script and one stylesheet from our
 * origin, no inline script or style element, API calls to our origin, and the photo preview shown from a
 * `blob:` URL (URL.createObjectURL). Setting `element.style.width` from script is CSSOM, which CSP allows.
 * If the page ever needs an inline <script>, hash it here rather than adding 'unsafe-inline'.
 */
export const securityHeaders = secureHeaders({
  contentSecurityPolicy: {
    defaultSrc: ["'self'"],
    scriptSrc: ["'self'"],
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
