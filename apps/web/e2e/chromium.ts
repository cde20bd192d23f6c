import { accessSync, constants } from 'node:fs'
import { delimiter, join } from 'node:path'

/** Debian's package path first, then `chromium` / `chromium-browser` on PATH. */
export function findChromium(): string {
  const candidates = [
    '/usr/bin/chromium',
    ...(process.env.PATH ?? '')
      .split(delimiter)
      .filter(Boolean)
      .flatMap((dir) => [join(dir, 'chromium'), join(dir, 'chromium-browser')]),
  ]
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK)
      return candidate
    } catch {
      // not this one
    }
  }
  throw new Error(
    'The end-to-end tests need Chromium and found none (looked for /usr/bin/chromium, then chromium and ' +
      "chromium-browser on PATH). Install Debian's package: apt-get install chromium. " +
      '(playwright-core never downloads browsers.)',
  )
}

/**
 * Flags for a quiet, offline-friendly headless Chromium: no display, no GPU and, as root in a container, no
 * user namespaces for its sandbox (hence --no-sandbox; it only ever opens our own page). The rest stop the
 * background traffic (component updates, sync, QUIC probes) a machine without internet would wait on.
 */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

/**
 * Chromium's fake camera, allowed without a prompt: a moving test pattern at 640 × 480, 20 frames a
 * second (add `--use-file-for-fake-video-capture=<y4m>` to film a photo instead, fake-camera.ts).
 */
export const FAKE_CAMERA_ARGS = ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream']
