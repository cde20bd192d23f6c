import { MAX_IMAGES_PER_REQUEST } from '@whisker/api-contract'
import { ClientProblem } from './errors.ts'

/** The one field name a batch may use; repeated once per photo. */
export const IMAGE_FIELD = 'image'

export function isMultipart(contentType: string | undefined): boolean {
  return /^multipart\/form-data\b/i.test(contentType ?? '')
}

const problem = (code: 'INVALID_MULTIPART' | 'UNEXPECTED_FIELD' | 'MISSING_IMAGE', detail: string) =>
  new ClientProblem(400, code, 'Bad multipart request', detail)

/**
 * The photos of a `multipart/form-data` body, in field order. The body was already read under the byte
 * limit (read-body.ts), so parsing it here cannot be made to buffer more. Strict about field names: a
 * typo such as `images` or `file` is a 400 that says what to send, not a silently empty batch.
 */
export async function imagesFromMultipart(body: Uint8Array, contentType: string): Promise<Uint8Array[]> {
  let form: FormData
  try {
    form = await new Response(body, { headers: { 'Content-Type': contentType } }).formData()
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error)
    throw problem('INVALID_MULTIPART', `The body is not valid multipart/form-data (${reason}).`)
  }
  const files: File[] = []
  for (const [name, value] of form) {
    if (name !== IMAGE_FIELD) {
      throw problem(
        'UNEXPECTED_FIELD',
        `Unexpected field "${name}": send each photo as a file field named "${IMAGE_FIELD}".`,
      )
    }
    if (typeof value === 'string') {
      throw problem(
        'UNEXPECTED_FIELD',
        `Field "${IMAGE_FIELD}" must be a file (a part with a filename), not a text value.`,
      )
    }
    files.push(value)
  }
  if (files.length === 0) {
    throw problem('MISSING_IMAGE', `No "${IMAGE_FIELD}" field: send one or more photos as "${IMAGE_FIELD}".`)
  }
  if (files.length > MAX_IMAGES_PER_REQUEST) {
    throw new ClientProblem(
      400,
      'TOO_MANY_IMAGES',
      'Too many images',
      `${files.length} images in one request; at most ${MAX_IMAGES_PER_REQUEST}. Split the batch.`,
    )
  }
  return Promise.all(files.map(async (file) => new Uint8Array(await file.arrayBuffer())))
}
