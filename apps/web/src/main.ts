import './styles.css'
import { type Classification, classify, getModelCard, type ModelCard, type Outcome, precheckImage, precheckUpload } from './api.ts'
import { CONCURRENCY, MAX_BATCH, mapLimited, takeFiles } from './batch.ts'
import { prepareUpload } from './downscale.ts'
import {
  type BatchItem,
  describeClassification,
  describeModelCard,
  describeUpload,
  formatBytes,
  shortVersion,
  summarizeBatch,
} from './format.ts'
import { addRecent, loadRecent, type RecentEntry, type RecentStorage, saveRecent, type Where } from './history.ts'
import { leftOutMessage, messageFor, PROBLEM_MESSAGES } from './messages.ts'
import type { DeviceClassifier } from './on-device.ts'
import {
  findUi,
  ResultCard,
  setDragging,
  setNotice,
  setStatus,
  showDeviceState,
  showModel,
  showModelUnavailable,
  showRecent,
  showResults,
} from './view.ts'

/** Give up on an answer after this long; the Worker normally answers in well under a second. */
const TIMEOUT_MS = 30_000
const OFF_TEXT = "Off: photos are sent to Whisker's server."

const ui = findUi(document)

function sessionStore(): RecentStorage | undefined {
  try {
    return window.sessionStorage
  } catch {
    return undefined // storage disabled: the list just isn't kept across reloads
  }
}

const storage = sessionStore()
let recent: RecentEntry[] = loadRecent(storage)
showRecent(ui, recent)

// ---------------------------------------------------------------------------------------------------------
// On this device

let device: DeviceClassifier | undefined
let deviceLoad: Promise<DeviceClassifier | undefined> | undefined
let serverCard: ModelCard | undefined

function deviceReadyText(classifier: DeviceClassifier): string {
  const parts = [
    `On: photos stay on this device and it works offline (model ${shortVersion(classifier.card.version)},`,
    `${formatBytes(classifier.modelBytes)}, tfjs ${classifier.backend}).`,
  ]
  if (serverCard !== undefined && serverCard.version !== classifier.card.version) {
    parts.push(`The server runs a different model (${shortVersion(serverCard.version)}).`)
  }
  return parts.join(' ')
}

function loadDevice(): Promise<DeviceClassifier | undefined> {
  deviceLoad ??= import('./on-device.ts')
    .then(({ loadDeviceClassifier }) => loadDeviceClassifier())
    .then((classifier) => {
      device = classifier
      if (serverCard === undefined) {
        showModel(ui, describeModelCard(classifier.card), 'From the copy on this device.')
      }
      return classifier
    })
    .catch((error: unknown) => {
      console.error(error)
      deviceLoad = undefined // so switching on again retries
      return undefined
    })
  return deviceLoad
}

async function switchOnDevice(): Promise<void> {
  showDeviceState(ui, 'loading', 'Downloading the model to this device…')
  const classifier = await loadDevice()
  if (!ui.onDevice.checked) return // switched off meanwhile
  if (classifier) showDeviceState(ui, 'ready', deviceReadyText(classifier))
  else {
    showDeviceState(
      ui,
      'failed',
      "Couldn't load the model on this device, so photos are sent to the server. Check your connection and try again.",
    )
  }
}

/** Where the next batch is classified; waits for the model if the switch was just turned on. */
async function chooseWhere(): Promise<{ where: Where; device?: DeviceClassifier }> {
  if (!ui.onDevice.checked) return { where: 'server' }
  const classifier = device ?? (await loadDevice())
  return classifier && ui.onDevice.checked ? { where: 'device', device: classifier } : { where: 'server' }
}

if (__WHISKER_ON_DEVICE__) {
  showDeviceState(ui, 'off', OFF_TEXT)
  ui.onDevice.addEventListener('change', () => {
    if (ui.onDevice.checked) void switchOnDevice()
    else showDeviceState(ui, 'off', OFF_TEXT)
  })
} else {
  showDeviceState(ui, 'unavailable', 'Not available: this build of the page has no copy of the model.')
}

// ---------------------------------------------------------------------------------------------------------
// Classifying photos

interface Batch {
  readonly controller: AbortController
  readonly cards: ResultCard[]
}

let batch: Batch | undefined

type Finished = { ok: true; entry: RecentEntry; summary: string } | { ok: false; message: string }

function classifyOnServer(image: Blob, signal: AbortSignal): Promise<Outcome<Classification>> {
  const controller = new AbortController()
  const cancel = () => controller.abort(signal.reason)
  signal.addEventListener('abort', cancel, { once: true })
  const timer = setTimeout(
    () => controller.abort(new DOMException('No answer in time', 'TimeoutError')),
    TIMEOUT_MS,
  )
  return classify(image, { signal: controller.signal }).finally(() => {
    clearTimeout(timer)
    signal.removeEventListener('abort', cancel)
  })
}

async function classifyOne(
  file: File,
  card: ResultCard,
  signal: AbortSignal,
  place: { where: Where; device?: DeviceClassifier },
): Promise<Finished> {
  const fail = (message: string): Finished => {
    card.error(message)
    return { ok: false, message }
  }
  const rejected = precheckImage(file)
  if (rejected !== undefined) return fail(PROBLEM_MESSAGES[rejected])

  card.busy('Getting it ready…')
  const upload = await prepareUpload(file)
  if (signal.aborted) return { ok: false, message: '' }
  card.preview(upload.blob)
  const tooBig = precheckUpload(upload.blob)
  if (tooBig !== undefined) return fail(PROBLEM_MESSAGES[tooBig])

  card.busy(place.device ? 'Looking at it on this device…' : 'Looking at it…')
  const outcome = place.device
    ? await place.device.classify(upload.blob)
    : await classifyOnServer(upload.blob, signal)
  if (signal.aborted) return { ok: false, message: '' }
  if (!outcome.ok) return fail(messageFor(outcome.error))

  const view = describeClassification(outcome.value, outcome.latencyMs, place.where)
  const sent = describeUpload({ ...upload, sentBytes: upload.blob.size }, place.where)
  card.done(view, [view.timing, sent, `model ${view.version}`])
  const entry: RecentEntry = {
    name: file.name,
    label: outcome.value.label,
    confidence: outcome.value.confidence,
    latencyMs: outcome.latencyMs,
    where: place.where,
    at: Date.now(),
    ...(upload.thumbnail === undefined ? {} : { thumbnail: upload.thumbnail }),
  }
  return { ok: true, entry, summary: view.summary }
}

async function classifyFiles(list: ArrayLike<File> | null | undefined): Promise<void> {
  const { files, dropped } = takeFiles(list)
  if (files.length === 0) return

  if (batch) {
    batch.controller.abort()
    for (const card of batch.cards) card.revoke()
  }
  const current: Batch = {
    controller: new AbortController(),
    cards: files.map((file) => new ResultCard(file.name || 'Pasted image')),
  }
  batch = current
  showResults(ui, current.cards)
  setNotice(ui, dropped > 0 ? leftOutMessage(dropped, MAX_BATCH) : undefined)
  setStatus(ui, files.length === 1 ? 'Looking at your photo…' : `Looking at ${files.length} photos…`)

  const place = await chooseWhere()
  const signal = current.controller.signal
  // One at a time on this device (it is one CPU-bound model); a few requests at a time to the server.
  const finished = await mapLimited(files, place.device ? 1 : CONCURRENCY, (file, i) =>
    classifyOne(file, current.cards[i] as ResultCard, signal, place).catch((error: unknown): Finished => {
      console.error(error)
      const message = 'Something went wrong with that photo. Please try again.'
      current.cards[i]?.error(message)
      return { ok: false, message }
    }),
  )
  if (batch !== current) return // a newer batch replaced this one

  recent = addRecent(
    recent,
    finished.flatMap((f) => (f.ok ? [f.entry] : [])),
  )
  saveRecent(storage, recent)
  showRecent(ui, recent)
  const items: BatchItem[] = finished.map((f) => (f.ok ? { ok: true, label: f.entry.label } : { ok: false }))
  const [only] = finished
  setStatus(ui, summarizeBatch(items, only === undefined ? undefined : only.ok ? only.summary : only.message))
}

function start(files: ArrayLike<File> | null | undefined): void {
  classifyFiles(files).catch((error: unknown) => {
    console.error(error)
    setStatus(ui, 'Something went wrong. Please try again.')
  })
}

for (const input of [ui.input, ui.camera]) {
  input.addEventListener('change', () => {
    start(input.files ? Array.from(input.files) : undefined)
    input.value = '' // so choosing the same file again still counts as a change
  })
}

const carriesFiles = (event: DragEvent) => event.dataTransfer?.types.includes('Files') ?? false

// The whole page is the drop target, so a near miss never navigates away to the dropped file.
window.addEventListener('dragover', (event) => {
  if (!carriesFiles(event)) return
  event.preventDefault()
  if (event.dataTransfer) event.dataTransfer.dropEffect = 'copy'
  setDragging(ui, true)
})
window.addEventListener('dragleave', (event) => {
  if (event.relatedTarget === null) setDragging(ui, false)
})
window.addEventListener('drop', (event) => {
  if (!carriesFiles(event)) return
  event.preventDefault()
  setDragging(ui, false)
  start(event.dataTransfer ? Array.from(event.dataTransfer.files) : undefined)
})

// Pasting an image (a screenshot, a copied photo) anywhere on the page classifies it.
document.addEventListener('paste', (event) => {
  const files = event.clipboardData ? Array.from(event.clipboardData.files) : []
  if (files.length === 0) return
  event.preventDefault()
  start(files)
})

ui.clearRecent.addEventListener('click', () => {
  recent = []
  saveRecent(storage, recent)
  showRecent(ui, recent)
  document.getElementById('recent-heading')?.focus() // the button is gone; keep focus nearby
})

// ---------------------------------------------------------------------------------------------------------
// The model card

getModelCard().then((outcome) => {
  if (outcome.ok) {
    serverCard = outcome.value
    showModel(ui, describeModelCard(outcome.value))
    if (device && ui.onDevice.checked) showDeviceState(ui, 'ready', deviceReadyText(device))
  } else if (device === undefined) {
    showModelUnavailable(ui, `Couldn't load the model card. ${messageFor(outcome.error)}`)
  }
})
