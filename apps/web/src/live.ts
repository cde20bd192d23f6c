/**
 * The live camera: the camera's picture with the model's answer under it, classified continuously on this
 * device by the same on-device classifier as the switch (one frame at a time, each as soon as the last is
 * done), steadied over time (smoothing.ts). "Freeze and send" keeps the frame and hands it, as a JPEG, to
 * the same path as a chosen photo, to the server. The camera is released whenever the panel closes or the
 * page is hidden (another tab, the phone locked), and taken again when it comes back.
 */
import type { Classification } from './api.ts'
import { cameraConstraints, nextCamera } from './camera.ts'
import { describeClassification, formatFrameRate, shortVersion } from './format.ts'
import { FrameRate } from './frame-rate.ts'
import { cameraMessage, messageFor } from './messages.ts'
import type { DeviceClassifier } from './on-device.ts'
import { smoothClassification } from './smoothing.ts'
import { bars, type LiveUi } from './view.ts'

/** JPEG quality of a frozen frame, as downscale.ts re-encodes photos. */
const FREEZE_QUALITY = 0.9

export interface LiveOptions {
  readonly ui: LiveUi
  /** The on-device classifier, loaded on first use (undefined if it cannot load). */
  readonly classifier: () => Promise<DeviceClassifier | undefined>
  /** A frozen frame, to classify on the server like a chosen photo. */
  readonly send: (photo: File) => void
}

type LiveState = 'starting' | 'live' | 'frozen' | 'failed'

export class LiveCamera {
  readonly #ui: LiveUi
  readonly #options: LiveOptions
  readonly #rate = new FrameRate()
  #stream: MediaStream | undefined
  #deviceId: string | undefined
  /** Bumped whenever the camera stops, so a frame loop from before ends. */
  #generation = 0
  #reading: Classification | undefined
  #readAt = 0
  #stillUrl: string | undefined

  constructor(options: LiveOptions) {
    this.#options = options
    this.#ui = options.ui
    const ui = this.#ui
    ui.open.addEventListener('click', () => void this.open())
    ui.close.addEventListener('click', () => this.close())
    ui.freeze.addEventListener('click', () => {
      if (this.#state() === 'frozen') void this.#resume()
      else void this.#freeze()
    })
    ui.switchCamera.addEventListener('click', () => void this.#switch())
    document.addEventListener('visibilitychange', () => {
      if (ui.panel.hidden) return
      if (document.visibilityState === 'hidden') this.#stop()
      else if (this.#state() !== 'frozen') void this.#start()
    })
  }

  get isOpen(): boolean {
    return !this.#ui.panel.hidden
  }

  async open(): Promise<void> {
    const ui = this.#ui
    if (this.isOpen) return
    ui.panel.hidden = false
    ui.open.setAttribute('aria-expanded', 'true')
    ui.close.focus()
    await this.#start()
  }

  close(): void {
    const ui = this.#ui
    this.#stop()
    this.#showStill(undefined)
    ui.panel.hidden = true
    ui.open.setAttribute('aria-expanded', 'false')
    ui.open.focus()
  }

  #state(): LiveState | undefined {
    return this.#ui.panel.dataset.state as LiveState | undefined
  }

  #setState(state: LiveState, note: string): void {
    this.#ui.panel.dataset.state = state
    this.#ui.note.textContent = note
    this.#ui.freeze.textContent = state === 'frozen' ? 'Resume' : 'Freeze and send'
    this.#ui.freeze.disabled = state === 'starting' || state === 'failed'
  }

  /** Takes the camera (and the model, the first time) and starts classifying. */
  async #start(): Promise<void> {
    const ui = this.#ui
    this.#stop()
    const generation = this.#generation
    this.#setState('starting', 'Starting the camera…')
    if (!navigator.mediaDevices?.getUserMedia) {
      this.#setState('failed', cameraMessage(undefined))
      return
    }
    let stream: MediaStream
    try {
      stream = await navigator.mediaDevices.getUserMedia(cameraConstraints(this.#deviceId))
    } catch (error) {
      if (generation === this.#generation) this.#setState('failed', cameraMessage(error))
      return
    }
    if (generation !== this.#generation || ui.panel.hidden || document.visibilityState === 'hidden') {
      for (const track of stream.getTracks()) track.stop() // closed or hidden meanwhile
      return
    }
    this.#stream = stream
    this.#deviceId = stream.getVideoTracks()[0]?.getSettings().deviceId
    ui.video.srcObject = stream
    this.#showStill(undefined)
    void this.#offerSwitch()
    try {
      await ui.video.play()
    } catch {
      return // interrupted by a stop: the newer start (or none) takes over
    }
    this.#setState('starting', 'Loading the model on this device…')
    const classifier = await this.#options.classifier()
    if (generation !== this.#generation) return
    if (!classifier) {
      this.#setState('failed', "Couldn't load the model on this device. Check your connection and try again.")
      return
    }
    this.#setState('live', `Classifying on this device with model ${shortVersion(classifier.card.version)}.`)
    await this.#loop(classifier, generation)
  }

  /** Releases the camera; any frame loop ends. */
  #stop(): void {
    this.#generation++
    for (const track of this.#stream?.getTracks() ?? []) track.stop()
    this.#stream = undefined
    this.#ui.video.srcObject = null
    this.#rate.reset()
    this.#reading = undefined
  }

  /** One frame at a time: each new video frame is classified once the previous one is done. */
  async #loop(classifier: DeviceClassifier, generation: number): Promise<void> {
    const { video } = this.#ui
    while (generation === this.#generation) {
      await nextFrame(video)
      if (generation !== this.#generation) return
      const outcome = await classifier.classifyFrame(video)
      if (generation !== this.#generation) return
      if (!outcome.ok) {
        this.#setState('failed', messageFor(outcome.error))
        return
      }
      const now = performance.now()
      this.#reading = smoothClassification(this.#reading, outcome.value, now - this.#readAt)
      this.#readAt = now
      this.#rate.tick(now)
      this.#show(this.#reading, outcome.latencyMs)
    }
  }

  #show(reading: Classification, latencyMs: number): void {
    const ui = this.#ui
    const view = describeClassification(reading, latencyMs, 'device')
    ui.label.textContent = view.label
    ui.confidence.textContent = `${view.confidence} confident`
    ui.bars.replaceChildren(bars(view))
    const perSecond = this.#rate.perSecond()
    ui.rate.textContent = perSecond === undefined ? '' : `${formatFrameRate(perSecond)} · ${view.timing}`
  }

  /** "Switch camera" only where there is another camera to switch to (known once one is allowed). */
  async #offerSwitch(): Promise<void> {
    const devices = await navigator.mediaDevices.enumerateDevices().catch(() => [])
    const cameras = devices.filter((device) => device.kind === 'videoinput')
    this.#ui.switchCamera.hidden = nextCamera(cameras, this.#deviceId) === undefined
  }

  async #switch(): Promise<void> {
    const devices = await navigator.mediaDevices.enumerateDevices()
    const next = nextCamera(
      devices.filter((device) => device.kind === 'videoinput'),
      this.#deviceId,
    )
    if (next === undefined) return
    this.#deviceId = next
    await this.#start()
  }

  /** Keeps the current frame on screen, releases the camera and sends the frame like a chosen photo. */
  async #freeze(): Promise<void> {
    const { video } = this.#ui
    if (this.#state() !== 'live' || video.videoWidth === 0) return
    const canvas = document.createElement('canvas')
    canvas.width = video.videoWidth
    canvas.height = video.videoHeight
    canvas.getContext('2d')?.drawImage(video, 0, 0)
    const blob = await new Promise<Blob | null>((resolve) =>
      canvas.toBlob(resolve, 'image/jpeg', FREEZE_QUALITY),
    )
    if (!blob) return
    this.#stop()
    this.#showStill(blob)
    this.#setState('frozen', 'Frozen. The frame was sent to Whisker’s server; see Results.')
    const stamp = new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-')
    this.#options.send(new File([blob], `camera-${stamp}.jpg`, { type: 'image/jpeg' }))
  }

  async #resume(): Promise<void> {
    await this.#start()
  }

  /** The frozen frame over the (released) camera's picture, or none. */
  #showStill(blob: Blob | undefined): void {
    const { still } = this.#ui
    if (this.#stillUrl !== undefined) URL.revokeObjectURL(this.#stillUrl)
    this.#stillUrl = blob === undefined ? undefined : URL.createObjectURL(blob)
    if (this.#stillUrl === undefined) still.removeAttribute('src')
    else still.src = this.#stillUrl
    still.hidden = blob === undefined
  }
}

/** Resolves when the video has a new frame to show (or on the next animation frame where unsupported). */
function nextFrame(video: HTMLVideoElement): Promise<void> {
  return new Promise((resolve) => {
    if ('requestVideoFrameCallback' in video) video.requestVideoFrameCallback(() => resolve())
    else requestAnimationFrame(() => resolve())
  })
}
