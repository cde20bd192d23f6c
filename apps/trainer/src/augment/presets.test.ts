import { describe, expect, it } from 'vitest'
import { AUGMENT_NAMES, AUGMENT_PRESETS } from './presets.ts'

describe('augmentation presets', () => {
  it('offers none, seed and strong, in that order, for --augment', () => {
    expect(AUGMENT_NAMES).toEqual(['none', 'seed', 'strong'])
  })

  it('none changes nothing', () => {
    expect(AUGMENT_PRESETS.none).toEqual({
      rotationDegrees: 0,
      shearRadians: 0,
      zoom: 0,
      shift: 0,
      horizontalFlip: false,
      brightness: 0,
    })
  })

  it("seed is the tutorial's ImageDataGenerator(shear_range=0.2, zoom_range=0.2, horizontal_flip=True)", () => {
    expect(AUGMENT_PRESETS.seed).toEqual({
      ...AUGMENT_PRESETS.none,
      shearRadians: 0.2,
      zoom: 0.2,
      horizontalFlip: true,
    })
  })

  it("strong is seed's plus rotation ±15°, shift ±10 % and brightness ±20 %", () => {
    expect(AUGMENT_PRESETS.strong).toEqual({
      ...AUGMENT_PRESETS.seed,
      rotationDegrees: 15,
      shift: 0.1,
      brightness: 0.2,
    })
  })
})
