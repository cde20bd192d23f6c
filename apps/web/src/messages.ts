import type { ApiError, ProblemCode } from './api.ts'

/** What people read when the Worker rejects a photo, keyed by the problem `code`. */
export const PROBLEM_MESSAGES: Readonly<Record<ProblemCode, string>> = {
  EMPTY_IMAGE: 'That file is empty. Choose a photo and try again.',
  UNSUPPORTED_TYPE: "That file isn't an image we can read. Try a JPEG, PNG or WebP photo.",
  CORRUPT_IMAGE: "That photo seems to be damaged, so we couldn't open it. Try another one.",
  TOO_MANY_BYTES: 'The photo is too large. Try a smaller file, or a screenshot of it.',
  TOO_MANY_PIXELS: 'The photo has too many pixels. Try a smaller version of it.',
}

const isProblemCode = (code: string): code is ProblemCode => Object.hasOwn(PROBLEM_MESSAGES, code)

/** Falls back on the HTTP status when the code is missing or unknown (e.g. a proxy's error page). */
function messageForStatus(status: number): string {
  if (status === 413) return PROBLEM_MESSAGES.TOO_MANY_BYTES
  if (status === 415) return PROBLEM_MESSAGES.UNSUPPORTED_TYPE
  if (status === 429) return 'Whisker is busy right now. Please try again in a moment.'
  if (status >= 500) return 'Whisker is having trouble right now. Please try again in a moment.'
  return 'Something went wrong with that photo. Please try again.'
}

/** One plain sentence for any failure. Never includes server details, codes or stack traces. */
export function messageFor(error: ApiError): string {
  switch (error.kind) {
    case 'problem':
      return error.code !== undefined && isProblemCode(error.code)
        ? PROBLEM_MESSAGES[error.code]
        : messageForStatus(error.status)
    case 'network':
      return "We couldn't reach Whisker. Check your connection and try again."
    case 'timeout':
      return 'Whisker took too long to answer. Please try again.'
    case 'bad-response':
      return "Whisker sent an answer we couldn't understand. Please try again."
    case 'aborted':
      return 'The request was cancelled.'
    case 'device':
      return "This device couldn't run the model. Switch off “On this device” to use the server."
  }
}

/** The note shown when more photos were given than one batch takes. */
export function leftOutMessage(leftOut: number, max: number): string {
  const photos = leftOut === 1 ? '1 photo was' : `${leftOut} photos were`
  return `Only the first ${max} photos are classified at a time; ${photos} left out.`
}

/**
 * What the live view says when the camera cannot start, by the `getUserMedia` error's name; anything
 * unknown (and no camera API at all, e.g. a page not served over HTTPS) gets the last sentence.
 */
export function cameraMessage(error: unknown): string {
  const name = error instanceof Error || error instanceof DOMException ? error.name : ''
  switch (name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return 'Camera access is blocked. Allow it in your browser’s settings, or choose a photo instead.'
    case 'NotFoundError':
    case 'OverconstrainedError':
      return 'No camera was found. Choose a photo instead.'
    case 'NotReadableError':
    case 'AbortError':
      return 'The camera is busy in another app. Close it there and try again.'
    default:
      return 'This browser can’t show a live camera here. Choose a photo instead.'
  }
}
