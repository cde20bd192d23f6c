import './styles.css'
import {
  ANSWER_TIMEOUT_MS,
  type ApiError,
  type Classification,
  classify,
  classifyBatch,
  getModelCard,
  MAX_IMAGES_PER_REQUEST,
  MAX_UPLOAD_BYTES,
  type ModelCard,
  type Outcome,
  precheckImage,
  precheckUpload,
} from './api.ts'
import { CONCURRENCY, classifyInBatches, MAX_BATCH, mapLimited, packBatches, takeFiles } from './batch.ts'
import { prepareUpload, type Upload } from './downscale.ts'
import {
  type BatchItem,
  describeClassification,
  describeModelCard,
  describeUpload,
  formatBytes,
  shortVersion,
  summarizeBatch,
} from './format.ts'
import {
  addRecent,
  loadRecent,
  type RecentEntry,
  type RecentStorage,
  saveRecent,
  type Where,
} from './history.ts'
import { LiveCamera } from './live.ts'
import { leftOutMessage, messageFor, PROBLEM_MESSAGES } from './messages.ts'
import { CONTROL_WAIT_MS, registerServiceWorker, whenControlled } from './offline.ts'
import type { DeviceClassifier } from './on-device.ts'
import { loadOnDevicePreference, saveOnDevicePreference } from './settings.ts'
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

const OFF_TEXT = "Off: photos are sent to Whisker's server."

const ui = findUi(document)
registerServiceWorker()

function store(kind: 'sessionStorage' | 'localStorage'): RecentStorage | undefined {
  try {
    return window[kind]
  } catch {
    return undefined // storage disabled: the page just forgets on reload
  }
}

const storage = store('sessionStorage')
const settings = store('localStorage')
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
    `${formatBytes(classifier.modelBytes)}, tfjs ${classifier.backend}${classifier.decoder === 'browser' ? ', browser decoder' : ''}).`,
  ]
  if (serverCard !== undefined && serverCard.version !== classifier.card.version) {
    parts.push(`The server runs a different model (${shortVersion(serverCard.version)}).`)
  }
  return parts.join(' ')
}

function loadDevice(): Promise<DeviceClassifier | undefined> {
  const revision = __WHISKER_MODEL_REVISION__
  if (revision === null) return Promise.resolve(undefined)
  deviceLoad ??= whenControlled(CONTROL_WAIT_MS)
    .then(() => import('./on-device.ts'))
    .then(({ loadDeviceClassifier }) => loadDeviceClassifier(revision))
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

/**
 * Where the next batch is classified; waits for the model if the switch was just turned on. `force`
 * 'server' sends it to the server whatever the switch says (a frame frozen in the live view).
 */
async function chooseWhere(force?: 'server'): Promise<{ where: Where; device?: DeviceClassifier }> {
  if (!ui.onDevice.checked || force === 'server') return { where: 'server' }
  const classifier = device ?? (await loadDevice())
  return classifier && ui.onDevice.checked ? { where: 'device', device: classifier } : { where: 'server' }
}

if (__WHISKER_MODEL_REVISION__ !== null) {
  showDeviceState(ui, 'off', OFF_TEXT)
  ui.onDevice.addEventListener('change', () => {
    saveOnDevicePreference(settings, ui.onDevice.checked)
    if (ui.onDevice.checked) void switchOnDevice()
    else showDeviceState(ui, 'off', OFF_TEXT)
  })
  // Left on last time: on again, which also brings a new model version into the offline copy.
  if (loadOnDevicePreference(settings)) void switchOnDevice()
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

/** A photo ready to classify: checked, downscaled, previewed. */
interface Prepared {
  readonly file: File
  readonly card: ResultCard
  readonly upload: Upload
}

type Finished = { ok: true; entry: RecentEntry; summary: string } | { ok: false; message: string }

/** Room left in a request for multipart headers. */
const BATCH_BYTES = MAX_UPLOAD_BYTES - 64 * 1024

/** A request that gives up after {@link ANSWER_TIMEOUT_MS} or when `signal` (a newer batch) aborts it. */
function withTimeout<T>(signal: AbortSignal, call: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController()
  const cancel = () => controller.abort(signal.reason)
  signal.addEventListener('abort', cancel, { once: true })
  const timer = setTimeout(
    () => controller.abort(new DOMException('No answer in time', 'TimeoutError')),
    ANSWER_TIMEOUT_MS,
  )
  return call(controller.signal).finally(() => {
    clearTimeout(timer)
    signal.removeEventListener('abort', cancel)
  })
}

/** One photo as a raw body (what older clients and curl send); several as one multipart request. */
async function sendToServer(photos: Prepared[], signal: AbortSignal): Promise<Outcome<Classification[]>> {
  const [only] = photos
  if (photos.length === 1 && only) {
    const outcome = await withTimeout(signal, (s) => classify(only.upload.blob, { signal: s, explain: true }))
    return outcome.ok ? { ...outcome, value: [outcome.value] } : outcome
  }
  const images = photos.map((p) => ({ blob: p.upload.blob, name: p.file.name }))
  return withTimeout(signal, (s) => classifyBatch(images, { signal: s, explain: true }))
}

/** Checks, downscales and previews one photo; an error here is shown on its card at once. */
async function prepare(file: File, card: ResultCard, signal: AbortSignal): Promise<Prepared | Finished> {
  const rejected = precheckImage(file)
  if (rejected !== undefined) return fail(card, PROBLEM_MESSAGES[rejected])
  card.busy('Getting it ready…')
  const upload = await prepareUpload(file)
  if (!signal.aborted) card.preview(upload.blob)
  const tooBig = precheckUpload(upload.blob)
  if (tooBig !== undefined) return fail(card, PROBLEM_MESSAGES[tooBig])
  return { file, card, upload }
}

function fail(card: ResultCard, message: string): Finished {
  card.error(message)
  return { ok: false, message }
}

/** Shows the answer on the photo's card and makes its entry for the recent list. */
function finish(
  photo: Prepared,
  outcome:
    | { ok: true; value: Classification; latencyMs: number; batchSize: number }
    | { ok: false; error: ApiError },
  where: Where,
): Finished {
  if (!outcome.ok) return fail(photo.card, messageFor(outcome.error))
  const { value, latencyMs } = outcome
  const view = describeClassification(value, latencyMs, where, outcome.batchSize)
  const sent = describeUpload({ ...photo.upload, sentBytes: photo.upload.blob.size }, where)
  photo.card.done(
    view,
    [view.timing, ...(sent === undefined ? [] : [sent]), `model ${view.version}`],
    value.explain,
  )
  const { thumbnail } = photo.upload
  const entry: RecentEntry = {
    name: photo.file.name,
    label: value.label,
    confidence: value.confidence,
    latencyMs,
    where,
    at: Date.now(),
    ...(thumbnail === undefined ? {} : { thumbnail }),
  }
  return { ok: true, entry, summary: view.summary }
}

/** Classifies the prepared photos: on this device one by one, or on the server in as few requests as fit. */
async function classifyPrepared(
  photos: Prepared[],
  place: { where: Where; device?: DeviceClassifier },
  signal: AbortSignal,
): Promise<Finished[]> {
  const { device: here } = place
  if (here) {
    const finished: Finished[] = []
    for (const photo of photos) {
      if (signal.aborted) break
      photo.card.busy('Looking at it on this device…')
      const outcome = await here.classify(photo.upload.blob, { explain: true })
      finished.push(finish(photo, outcome.ok ? { ...outcome, batchSize: 1 } : outcome, 'device'))
    }
    return finished
  }
  for (const photo of photos) photo.card.busy('Looking at it…')
  const groups = packBatches(
    photos.map((p) => p.upload.blob.size),
    BATCH_BYTES,
    MAX_IMAGES_PER_REQUEST,
  )
  const outcomes = await classifyInBatches(photos, groups, (group) => sendToServer(group, signal), signal)
  return photos.map((photo, i) => {
    const outcome = outcomes[i] ?? { ok: false as const, error: { kind: 'aborted' as const } }
    return finish(photo, outcome, 'server')
  })
}

async function classifyFiles(list: ArrayLike<File> | null | undefined, force?: 'server'): Promise<void> {
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
  const { signal } = current.controller
  showResults(ui, current.cards)
  setNotice(ui, dropped > 0 ? leftOutMessage(dropped, MAX_BATCH) : undefined)
  setStatus(ui, files.length === 1 ? 'Looking at your photo…' : `Looking at ${files.length} photos…`)

  const place = await chooseWhere(force)
  const steps = await mapLimited(files, CONCURRENCY, (file, i) =>
    prepare(file, current.cards[i] as ResultCard, signal),
  )
  if (signal.aborted) return
  const photos = steps.filter((step): step is Prepared => 'upload' in step)
  const answers = await classifyPrepared(photos, place, signal)
  if (batch !== current) return // a newer batch replaced this one

  const byPhoto = new Map(photos.map((photo, i) => [photo, answers[i]]))
  const finished = steps.map(
    (step): Finished => ('upload' in step ? (byPhoto.get(step) ?? { ok: false, message: '' }) : step),
  )
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

function start(files: ArrayLike<File> | null | undefined, force?: 'server'): void {
  classifyFiles(files, force).catch((error: unknown) => {
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

// The live camera classifies on this device, so it needs the build's copy of the model.
if (__WHISKER_MODEL_REVISION__ === null) ui.live.open.hidden = true
else new LiveCamera({ ui: ui.live, classifier: loadDevice, send: (photo) => start([photo], 'server') })

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
