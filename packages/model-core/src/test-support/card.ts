import { MODEL_CARD_EXAMPLE, type ModelCard, parseModelCard } from '../card.ts'

/** A complete, valid model card for a two-class 224-pixel transfer model (a fresh copy); tests override what they need. */
export function validCard(): ModelCard {
  return parseModelCard(MODEL_CARD_EXAMPLE)
}
