/** DOM rendering. Text only ever goes in through `textContent`, never as HTML. */

import type { Explanation } from './api.ts'
import {
  type CardRow,
  describeExplanation,
  formatClock,
  formatLabel,
  formatLatency,
  formatPercent,
  type ResultView,
} from './format.ts'
import type { RecentEntry } from './history.ts'

export interface Ui {
  readonly input: HTMLInputElement
  readonly camera: HTMLInputElement
  readonly dropzone: HTMLElement
  readonly onDevice: HTMLInputElement
  readonly onDeviceStatus: HTMLElement
  readonly status: HTMLElement
  readonly notice: HTMLElement
  readonly results: HTMLElement
  readonly recent: HTMLElement
  readonly recentEmpty: HTMLElement
  readonly clearRecent: HTMLButtonElement
  readonly model: HTMLElement
  readonly modelNote: HTMLElement
  readonly live: LiveUi
}

/** The live camera panel. */
export interface LiveUi {
  readonly open: HTMLButtonElement
  readonly panel: HTMLElement
  readonly close: HTMLButtonElement
  readonly video: HTMLVideoElement
  readonly still: HTMLImageElement
  readonly label: HTMLElement
  readonly confidence: HTMLElement
  readonly bars: HTMLElement
  readonly note: HTMLElement
  readonly rate: HTMLElement
  readonly freeze: HTMLButtonElement
  readonly switchCamera: HTMLButtonElement
}

function find<T extends HTMLElement>(root: ParentNode, id: string, type: new () => T): T {
  const element = root.querySelector(`#${id}`)
  if (!(element instanceof type)) throw new Error(`index.html is missing #${id}`)
  return element
}

export function findUi(root: ParentNode): Ui {
  return {
    input: find(root, 'photo', HTMLInputElement),
    camera: find(root, 'camera', HTMLInputElement),
    dropzone: find(root, 'dropzone', HTMLElement),
    onDevice: find(root, 'on-device', HTMLInputElement),
    onDeviceStatus: find(root, 'on-device-status', HTMLElement),
    status: find(root, 'status', HTMLElement),
    notice: find(root, 'notice', HTMLElement),
    results: find(root, 'results', HTMLElement),
    recent: find(root, 'recent', HTMLElement),
    recentEmpty: find(root, 'recent-empty', HTMLElement),
    clearRecent: find(root, 'clear-recent', HTMLButtonElement),
    model: find(root, 'model', HTMLElement),
    modelNote: find(root, 'model-note', HTMLElement),
    live: {
      open: find(root, 'live-open', HTMLButtonElement),
      panel: find(root, 'live', HTMLElement),
      close: find(root, 'live-close', HTMLButtonElement),
      video: find(root, 'live-video', HTMLVideoElement),
      still: find(root, 'live-still', HTMLImageElement),
      label: find(root, 'live-label', HTMLElement),
      confidence: find(root, 'live-confidence', HTMLElement),
      bars: find(root, 'live-bars', HTMLElement),
      note: find(root, 'live-note', HTMLElement),
      rate: find(root, 'live-rate', HTMLElement),
      freeze: find(root, 'live-freeze', HTMLButtonElement),
      switchCamera: find(root, 'live-switch', HTMLButtonElement),
    },
  }
}

function node<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className: string,
  text?: string,
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag)
  element.className = className
  if (text !== undefined) element.textContent = text
  return element
}

export function setStatus(ui: Ui, text: string): void {
  ui.status.textContent = text
}

export function setNotice(ui: Ui, text: string | undefined): void {
  ui.notice.textContent = text ?? ''
  ui.notice.hidden = text === undefined
}

export function setDragging(ui: Ui, dragging: boolean): void {
  ui.dropzone.classList.toggle('dropzone--active', dragging)
}

/** One bar per class, highest first; each percentage is text, the bar itself decorative. */
export function bars(view: ResultView): HTMLElement {
  const list = node('ul', 'bars')
  list.setAttribute('aria-label', 'Score for each class')
  list.append(
    ...view.bars.map((bar) => {
      const item = node('li', bar.isAnswer ? 'bar bar--answer' : 'bar')
      const track = node('span', 'bar__track')
      track.setAttribute('aria-hidden', 'true')
      const fill = node('span', 'bar__fill')
      fill.style.width = `${(bar.fraction * 100).toFixed(1)}%`
      track.append(fill)
      item.append(node('span', 'bar__label', bar.label), node('span', 'bar__percent', bar.percent), track)
      return item
    }),
  )
  return list
}

/** One photo's card in the results list: busy, then an answer or an error. */
export class ResultCard {
  readonly element: HTMLLIElement
  private readonly image: HTMLImageElement
  private readonly heatmap: HTMLImageElement
  private readonly answer: HTMLElement
  private readonly details: HTMLElement
  private previewUrl: string | undefined

  constructor(name: string) {
    this.element = node('li', 'result')
    const media = node('div', 'result__media')
    this.image = node('img', 'result__image')
    this.image.alt = ''
    this.image.hidden = true
    // A format the browser cannot show (HEIC on desktop, say) gets no broken-image icon.
    this.image.addEventListener('error', () => {
      this.image.hidden = true
    })
    // Laid over the photo, same square, while "Show where it looked" is pressed.
    this.heatmap = node('img', 'result__heatmap')
    this.heatmap.hidden = true
    media.append(this.image, this.heatmap)
    const body = node('div', 'result__body')
    const title = node('h3', 'result__name', name)
    title.title = name
    this.answer = node('div', 'result__answer')
    this.details = node('div', 'result__details')
    body.append(title, this.answer, this.details)
    this.element.append(media, body)
    this.busy('Waiting…')
  }

  /** Shows `blob` as the card's picture (the downscaled photo when there is one). */
  preview(blob: Blob): void {
    this.revoke()
    this.previewUrl = URL.createObjectURL(blob)
    this.image.src = this.previewUrl
    this.image.hidden = false
  }

  busy(note: string): void {
    this.showExplanation(undefined)
    this.element.dataset.state = 'busy'
    this.answer.replaceChildren(node('p', 'result__note', note))
    this.details.replaceChildren()
  }

  done(view: ResultView, meta: readonly string[], explain?: Explanation): void {
    this.element.dataset.state = 'done'
    this.answer.replaceChildren(
      node('p', 'result__label', view.label),
      node('p', 'result__confidence', `${view.confidence} confident`),
    )
    const facts = node('ul', 'result__facts')
    facts.append(...meta.map((fact) => node('li', '', fact)))
    this.details.replaceChildren(bars(view), facts)
    this.showExplanation(this.image.hidden ? undefined : explain)
  }

  /**
   * The "Show where it looked" toggle: pressed, the picture grows to the card's width (readable on a
   * phone), shows exactly what the model saw, and the heatmap lies over it; pressed again, back to the
   * thumbnail. No toggle without a heatmap (an older Worker, or a model that cannot explain itself).
   */
  private showExplanation(explain: Explanation | undefined): void {
    this.element.querySelector('.result__explain')?.remove()
    this.setExplained(false)
    this.heatmap.removeAttribute('src')
    if (explain === undefined) return
    const natural = this.image.naturalWidth > 0
    const view = describeExplanation(
      explain,
      natural ? { width: this.image.naturalWidth, height: this.image.naturalHeight } : undefined,
    )
    this.heatmap.src = view.png
    this.heatmap.alt = view.alt
    this.image.dataset.fit = view.fit
    const toggle = node('button', 'result__toggle', view.button)
    toggle.type = 'button'
    toggle.setAttribute('aria-pressed', 'false')
    const caption = node('p', 'result__legend', view.caption)
    caption.hidden = true
    toggle.addEventListener('click', () => {
      const on = toggle.getAttribute('aria-pressed') !== 'true'
      toggle.setAttribute('aria-pressed', String(on))
      caption.hidden = !on
      this.setExplained(on)
    })
    const box = node('div', 'result__explain')
    box.append(toggle, caption)
    this.details.before(box)
  }

  private setExplained(on: boolean): void {
    this.element.classList.toggle('result--explained', on)
    this.heatmap.hidden = !on
  }

  error(message: string): void {
    this.showExplanation(undefined)
    this.element.dataset.state = 'error'
    // No picture to show (not an image, or one this browser cannot draw): the message takes the width.
    this.element.classList.toggle('result--bare', this.image.hidden === true)
    this.answer.replaceChildren(node('p', 'result__error', message))
    this.details.replaceChildren()
  }

  /** Frees the preview's object URL; call when the card is removed. */
  revoke(): void {
    if (this.previewUrl !== undefined) URL.revokeObjectURL(this.previewUrl)
    this.previewUrl = undefined
  }
}

export function showResults(ui: Ui, cards: readonly ResultCard[]): void {
  ui.results.replaceChildren(...cards.map((card) => card.element))
  // On a phone the results start below the fold: bring them up, unless they are already in view.
  const heading = ui.results.closest('section')
  if (heading && heading.getBoundingClientRect().top > window.innerHeight * 0.6) {
    const smooth = !window.matchMedia('(prefers-reduced-motion: reduce)').matches
    heading.scrollIntoView({ block: 'start', behavior: smooth ? 'smooth' : 'auto' })
  }
}

export function showRecent(ui: Ui, entries: readonly RecentEntry[]): void {
  ui.recent.replaceChildren(
    ...entries.map((entry) => {
      const item = node('li', 'recent__item')
      const thumb = node('img', 'recent__thumb')
      thumb.alt = ''
      thumb.width = 48
      thumb.height = 48
      if (entry.thumbnail !== undefined) thumb.src = entry.thumbnail
      const text = node('div', 'recent__text')
      const where = entry.where === 'device' ? 'on this device' : formatLatency(entry.latencyMs)
      text.append(
        node('p', 'recent__label', `${formatLabel(entry.label)} · ${formatPercent(entry.confidence)}`),
        node('p', 'recent__meta', `${entry.name} · ${formatClock(entry.at)} · ${where}`),
      )
      item.append(thumb, text)
      return item
    }),
  )
  ui.recentEmpty.hidden = entries.length > 0
  ui.clearRecent.hidden = entries.length === 0
}

export function showModel(ui: Ui, rows: readonly CardRow[], note?: string): void {
  ui.model.replaceChildren(
    ...rows.map((row) => {
      // Sentences get the whole width; short values (version, backbone, date) share it.
      const group = node('div', row.value.length > 14 ? 'model__row model__row--wide' : 'model__row')
      const value = node('dd', '', row.value)
      if (row.title !== undefined) value.title = row.title
      group.append(node('dt', '', row.term), value)
      return group
    }),
  )
  ui.model.hidden = false
  ui.modelNote.textContent = note ?? ''
  ui.modelNote.hidden = note === undefined
}

export function showModelUnavailable(ui: Ui, message: string): void {
  ui.model.hidden = true
  ui.modelNote.textContent = message
  ui.modelNote.hidden = false
}

export type DeviceState = 'off' | 'loading' | 'ready' | 'failed' | 'unavailable'

export function showDeviceState(ui: Ui, state: DeviceState, text: string): void {
  ui.onDevice.closest('.mode')?.setAttribute('data-state', state)
  ui.onDeviceStatus.textContent = text
  ui.onDevice.checked = state === 'loading' || state === 'ready'
  ui.onDevice.setAttribute('aria-checked', String(ui.onDevice.checked))
  ui.onDevice.disabled = state === 'unavailable'
  ui.onDevice.setAttribute('aria-busy', String(state === 'loading'))
}
