/** DOM rendering. Text only ever goes in through `textContent`, never as HTML. */
import type { ResultView } from './format.ts'

export interface Ui {
  readonly input: HTMLInputElement
  readonly dropzone: HTMLElement
  readonly preview: HTMLElement
  readonly previewImage: HTMLImageElement
  readonly previewName: HTMLElement
  readonly answer: HTMLElement
  readonly details: HTMLElement
  readonly bars: HTMLElement
  readonly latency: HTMLElement
  readonly version: HTMLElement
  readonly modelInfo: HTMLElement
}

function find<T extends HTMLElement>(root: ParentNode, id: string, type: new () => T): T {
  const element = root.querySelector(`#${id}`)
  if (!(element instanceof type)) throw new Error(`index.html is missing #${id}`)
  return element
}

export function findUi(root: ParentNode): Ui {
  return {
    input: find(root, 'photo', HTMLInputElement),
    dropzone: find(root, 'dropzone', HTMLElement),
    preview: find(root, 'preview', HTMLElement),
    previewImage: find(root, 'preview-image', HTMLImageElement),
    previewName: find(root, 'preview-name', HTMLElement),
    answer: find(root, 'answer', HTMLElement),
    details: find(root, 'details', HTMLElement),
    bars: find(root, 'bars', HTMLElement),
    latency: find(root, 'latency', HTMLElement),
    version: find(root, 'version', HTMLElement),
    modelInfo: find(root, 'model-info', HTMLElement),
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

let previewUrl: string | undefined

export function showPreview(ui: Ui, file: File): void {
  hidePreview(ui)
  previewUrl = URL.createObjectURL(file)
  ui.previewImage.src = previewUrl
  ui.previewName.textContent = file.name
  ui.preview.hidden = false
}

export function hidePreview(ui: Ui): void {
  if (previewUrl !== undefined) URL.revokeObjectURL(previewUrl)
  previewUrl = undefined
  ui.preview.hidden = true
  ui.previewImage.removeAttribute('src')
  ui.previewName.textContent = ''
}

type AnswerState = 'idle' | 'busy' | 'done' | 'error'

function setAnswer(ui: Ui, state: AnswerState, ...content: HTMLElement[]): void {
  ui.answer.dataset.state = state
  ui.answer.replaceChildren(...content)
  ui.details.hidden = state !== 'done'
}

export function showBusy(ui: Ui): void {
  setAnswer(ui, 'busy', node('p', 'answer__note', 'Looking at your photo…'))
}

export function showError(ui: Ui, message: string): void {
  setAnswer(ui, 'error', node('p', 'answer__error', message))
}

export function showResult(ui: Ui, view: ResultView): void {
  const label = node('p', 'answer__label', view.label)
  const confidence = node('p', 'answer__confidence', `${view.confidence} confident`)
  ui.bars.replaceChildren(
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
  ui.latency.textContent = view.latency
  ui.version.textContent = view.version
  ui.version.title = view.versionFull
  setAnswer(ui, 'done', label, confidence)
}

export function showModel(ui: Ui, text: string): void {
  ui.modelInfo.textContent = text
  ui.modelInfo.hidden = false
}

export function setDragging(ui: Ui, dragging: boolean): void {
  ui.dropzone.classList.toggle('dropzone--active', dragging)
}
