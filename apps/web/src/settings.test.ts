import { describe, expect, it } from 'vitest'
import { loadOnDevicePreference, ON_DEVICE_KEY, saveOnDevicePreference } from './settings.ts'
import { fakeStorage } from './test-support/storage.ts'

describe('the on-device preference', () => {
  it('is off until switched on, remembered, and forgotten when switched off', () => {
    const { storage, items } = fakeStorage()
    expect(loadOnDevicePreference(storage)).toBe(false)
    saveOnDevicePreference(storage, true)
    expect(items.get(ON_DEVICE_KEY)).toBe('on')
    expect(loadOnDevicePreference(storage)).toBe(true)
    saveOnDevicePreference(storage, false)
    expect(items.has(ON_DEVICE_KEY)).toBe(false)
    expect(loadOnDevicePreference(storage)).toBe(false)
  })

  it('reads anything but "on" as off', () => {
    const { storage } = fakeStorage()
    storage.setItem(ON_DEVICE_KEY, 'true')
    expect(loadOnDevicePreference(storage)).toBe(false)
  })

  it('starts off, and never throws, without storage or with storage that throws', () => {
    const { storage } = fakeStorage(0) // every write throws
    expect(() => saveOnDevicePreference(storage, true)).not.toThrow()
    expect(loadOnDevicePreference(storage)).toBe(false)
    expect(loadOnDevicePreference(undefined)).toBe(false)
    const broken = {
      getItem: () => {
        throw new DOMException('denied', 'SecurityError')
      },
      setItem: () => undefined,
      removeItem: () => undefined,
    }
    expect(loadOnDevicePreference(broken)).toBe(false)
  })
})
