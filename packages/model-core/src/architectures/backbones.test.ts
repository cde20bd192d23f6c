import { describe, expect, it } from 'vitest'
import {
  BACKBONES,
  backboneSpec,
  backboneSpecSchema,
  DEFAULT_BACKBONE,
  InvalidBackboneSpecError,
  isBackboneName,
  parseBackboneSpec,
  UnknownBackboneError,
} from './backbones.ts'

const NAMES = Object.keys(BACKBONES)

describe('the backbone registry', () => {
  it.each(NAMES)('%s is filed under its own name and describes a 224-pixel network', (name) => {
    const spec = backboneSpec(name)
    expect(spec.name).toBe(name)
    expect(spec.inputSize).toBe(224)
    expect(spec.featureLayer).not.toBe('')
    expect(spec.featureDim).toBeGreaterThan(0)
    expect(spec.license).not.toBe('')
  })

  it.each(NAMES)('%s maps pixels 0 and 255 onto [-1, 1] or [0, 1]', (name) => {
    const { scale, offset } = backboneSpec(name).normalization
    expect([
      [-1, 1],
      [0, 1],
    ]).toContainEqual([0 * scale + offset, 255 * scale + offset])
  })

  it.each(NAMES)('%s passes the schema users’ spec files are held to', (name) => {
    expect(backboneSpecSchema.parse(backboneSpec(name))).toEqual(backboneSpec(name))
  })

  it.each(NAMES)('%s names the https origin its weights come from (provenance; never fetched)', (name) => {
    expect(new URL(backboneSpec(name).origin!).protocol).toBe('https:')
  })

  it('defaults to MobileNetV2 α0.35, a registry entry', () => {
    expect(DEFAULT_BACKBONE).toBe('mobilenet_v2_0.35')
    expect(isBackboneName(DEFAULT_BACKBONE)).toBe(true)
  })
})

describe('backboneSpec', () => {
  it('returns the registry entry itself', () => {
    expect(backboneSpec('darknet_tiny')).toBe(BACKBONES.darknet_tiny)
  })

  it('refuses an unknown name as UNKNOWN_BACKBONE, listing the known ones', () => {
    expect(() => backboneSpec('resnet50')).toThrow(UnknownBackboneError)
    expect(() => backboneSpec('resnet50')).toThrow(
      expect.objectContaining({
        code: 'UNKNOWN_BACKBONE',
        message: expect.stringContaining(`Known: ${NAMES.join(', ')}.`),
      }),
    )
  })
})

describe('isBackboneName', () => {
  it('accepts every registry name', () => {
    expect(NAMES.every(isBackboneName)).toBe(true)
  })

  it.each([
    '',
    'MobileNet_V2_0.35',
    'mobilenet_v2',
    'toString',
    'constructor',
    '__proto__',
    'hasOwnProperty',
  ])('rejects %j, including names every object inherits', (name) => {
    expect(isBackboneName(name)).toBe(false)
    expect(() => backboneSpec(name)).toThrow(UnknownBackboneError)
  })
})

describe('parseBackboneSpec', () => {
  const mine = { ...backboneSpec('mobilenet_v2_0.35'), name: 'my-net', origin: undefined }

  it('takes a spec like the registry’s entries', () => {
    expect(parseBackboneSpec(mine, 'my-net/whisker-backbone.json')).toMatchObject({
      name: 'my-net',
      inputSize: 224,
    })
  })

  it('takes a spec file written before `url` was renamed `origin`, dropping the old field', () => {
    const old = { ...mine, url: 'https://example.com/pet-net/model.json' }
    expect(parseBackboneSpec(old, 'my-net/whisker-backbone.json')).not.toHaveProperty('url')
  })

  it('refuses a bad spec as INVALID_BACKBONE_SPEC, naming the file and every bad field', () => {
    const bad = {
      ...mine,
      inputSize: 'big',
      normalization: { scale: 0, offset: -1 },
      origin: 'http://x.test/m.json',
    }
    expect(() => parseBackboneSpec(bad, 'my-net/whisker-backbone.json')).toThrow(InvalidBackboneSpecError)
    const error = (() => {
      try {
        parseBackboneSpec(bad, 'my-net/whisker-backbone.json')
      } catch (e) {
        return e as InvalidBackboneSpecError
      }
    })()
    expect(error?.code).toBe('INVALID_BACKBONE_SPEC')
    for (const part of [
      'my-net/whisker-backbone.json',
      'at inputSize',
      'at normalization.scale',
      'at origin',
    ])
      expect(error?.message).toContain(part)
  })
})
