import { describe, expect, it } from 'vitest'
import { cameraConstraints, nextCamera } from './camera.ts'

describe('cameraConstraints', () => {
  it('asks for the rear camera first, as a preference a single front camera still meets', () => {
    expect(cameraConstraints()).toEqual({
      audio: false,
      video: { width: { ideal: 640 }, height: { ideal: 480 }, facingMode: { ideal: 'environment' } },
    })
  })

  it('asks for exactly the chosen camera once one is picked', () => {
    expect(cameraConstraints('abc').video).toMatchObject({ deviceId: { exact: 'abc' } })
    expect(cameraConstraints('abc').video).not.toHaveProperty('facingMode')
  })
})

describe('nextCamera', () => {
  const cameras = [{ deviceId: 'a' }, { deviceId: 'b' }, { deviceId: 'c' }]

  it('steps to the next camera and wraps round', () => {
    expect(nextCamera(cameras, 'a')).toBe('b')
    expect(nextCamera(cameras, 'c')).toBe('a')
  })

  it('starts from the first when the current one is unknown', () => {
    expect(nextCamera(cameras, undefined)).toBe('a')
  })

  it('offers nothing with fewer than two cameras', () => {
    expect(nextCamera([{ deviceId: 'a' }], 'a')).toBeUndefined()
    expect(nextCamera([], undefined)).toBeUndefined()
  })
})
