import { type Classifier, loadClassifier, parseModelCard } from '@whisker/model-core'
import cardJson from '#model/card.json'
import modelJson from '#model/model.json'
import weights from '#model/weights.bin'
import { initBackend } from './tfjs.ts'

let classifier: Promise<Classifier> | undefined

/**
 * The bundled classifier, loaded once per isolate and shared by every request it serves. A failed load is
 * not cached, so the next request retries instead of the isolate failing until it is evicted.
 */
export function getClassifier(): Promise<Classifier> {
  classifier ??= (async () => {
    await initBackend()
    return loadClassifier({ modelJson, weights, card: parseModelCard(cardJson) })
  })().catch((error: unknown) => {
    classifier = undefined
    throw error
  })
  return classifier
}
