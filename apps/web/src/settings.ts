/**
 * Whether "On this device" was left on, kept in `localStorage` across visits: a page that had it on opens
 * with it on, so the model is there offline and a new model version replaces the cached one on the next
 * online visit, without waiting to be asked again. Anything but the stored `'on'` reads as off.
 */
import type { RecentStorage } from './history.ts'

export const ON_DEVICE_KEY = 'whisker.on-device.v1'

export function loadOnDevicePreference(storage: RecentStorage | undefined): boolean {
  try {
    return storage?.getItem(ON_DEVICE_KEY) === 'on'
  } catch {
    return false // storage disabled
  }
}

export function saveOnDevicePreference(storage: RecentStorage | undefined, on: boolean): void {
  try {
    if (on) storage?.setItem(ON_DEVICE_KEY, 'on')
    else storage?.removeItem(ON_DEVICE_KEY)
  } catch {
    // quota exceeded or storage disabled: the switch just starts off next time
  }
}
