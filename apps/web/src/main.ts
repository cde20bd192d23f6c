import './styles.css'
import { classify, getModelCard, precheckImage } from './api.ts'
import { describeClassification, describeModel } from './format.ts'
import { messageFor, PROBLEM_MESSAGES } from './messages.ts'
import {
  findUi,
  hidePreview,
  setDragging,
  showBusy,
  showError,
  showModel,
  showPreview,
  showResult,
} from './view.ts'

/** Give up on an answer after this long; the Worker normally answers in well under a second. */
const TIMEOUT_MS = 30_000

const ui = findUi(document)
let current: AbortController | undefined

async function classifyPhoto(file: File): Promise<void> {
  current?.abort()
  const controller = new AbortController()
  current = controller

  const rejected = precheckImage(file)
  if (rejected !== undefined) {
    hidePreview(ui)
    showError(ui, PROBLEM_MESSAGES[rejected])
    return
  }

  showPreview(ui, file)
  showBusy(ui)
  const timer = setTimeout(
    () => controller.abort(new DOMException('No answer in time', 'TimeoutError')),
    TIMEOUT_MS,
  )
  const outcome = await classify(file, { signal: controller.signal }).finally(() => clearTimeout(timer))
  if (controller !== current) return // a newer photo was chosen meanwhile

  if (outcome.ok) showResult(ui, describeClassification(outcome.value, outcome.latencyMs))
  else showError(ui, messageFor(outcome.error))
}

function choose(file: File | undefined): void {
  if (file === undefined) return
  classifyPhoto(file).catch((error: unknown) => {
    console.error(error)
    showError(ui, 'Something went wrong. Please try again.')
  })
}

ui.input.addEventListener('change', () => {
  choose(ui.input.files?.[0])
  ui.input.value = '' // so choosing the same file again still counts as a change
})

// A browser that cannot show the format (HEIC on desktop, say) gets no broken-image icon; the Worker still answers.
ui.previewImage.addEventListener('error', () => {
  if (ui.previewImage.getAttribute('src')) ui.preview.hidden = true
})

// The whole page is the drop target, so a near miss never navigates away to the dropped file.
window.addEventListener('dragover', (event) => {
  event.preventDefault()
  if (event.dataTransfer) event.dataTransfer.dropEffect = 'copy'
  setDragging(ui, true)
})
window.addEventListener('dragleave', (event) => {
  if (event.relatedTarget === null) setDragging(ui, false)
})
window.addEventListener('drop', (event) => {
  event.preventDefault()
  setDragging(ui, false)
  choose(event.dataTransfer?.files[0])
})

getModelCard().then((outcome) => {
  if (outcome.ok) showModel(ui, describeModel(outcome.value))
})
