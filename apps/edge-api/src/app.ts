import { Hono } from 'hono'
import { LIMITS } from './config.ts'
import { decodeImage } from './decoder.ts'
import type { AppEnv } from './env.ts'
import { onError, onNotFound } from './errors.ts'
import { requestId } from './middleware/request-id.ts'
import { getClassifier } from './model.ts'
import { parseTopK } from './query.ts'
import { readBody } from './read-body.ts'
import { initBackend } from './tfjs.ts'

/** The answer to `POST /v1/classify`; docs/api.md and apps/web rely on this shape. */
export interface ClassifyResponse {
  label: string
  confidence: number
  /** Highest score first; `topK` of them, or every class. */
  predictions: { label: string; score: number }[]
  model: { version: string }
}

export const app = new Hono<AppEnv>()

app.use(requestId)
app.onError(onError)
app.notFound(onNotFound)

/** A raw JPEG, PNG or WebP body; the type is sniffed from its bytes, whatever Content-Type says. */
app.post('/v1/classify', async (c) => {
  const topK = parseTopK(c.req.query('topK'))
  const bytes = await readBody(c.req.raw, LIMITS.maxBytes)
  const image = await decodeImage(bytes, LIMITS)
  const classifier = await getClassifier()
  const { label, confidence, predictions } = await classifier.classify(
    image,
    topK === undefined ? {} : { topK },
  )
  return c.json<ClassifyResponse>({
    label,
    confidence,
    predictions,
    model: { version: classifier.card.version },
  })
})

/** The model card: labels, input size, metrics, version. The web page reads the labels from here. */
app.get('/v1/model', async (c) => {
  const { card } = await getClassifier()
  return c.json(card)
})

/** Healthy means the bundled model loads and a tfjs backend is running; `backend` shows which. */
app.get('/healthz', async (c) => {
  const [{ card }, backend] = await Promise.all([getClassifier(), initBackend()])
  return c.json({ ok: true, model: card.version, backend })
})
