/**
 * Which camera the live view asks for. First the rear one (`facingMode: environment`, as an ideal, so a
 * laptop's only camera still answers); once there are several, "Switch camera" steps through them by id.
 */

/** Enough pixels for the model (it sees a square of a few hundred at most), few enough to keep up. */
const IDEAL_SIZE = { width: { ideal: 640 }, height: { ideal: 480 } } as const

export function cameraConstraints(deviceId?: string): MediaStreamConstraints {
  return {
    audio: false,
    video:
      deviceId === undefined
        ? { ...IDEAL_SIZE, facingMode: { ideal: 'environment' } }
        : { ...IDEAL_SIZE, deviceId: { exact: deviceId } },
  }
}

/** The camera after `currentId` among `cameras` (wrapping round); undefined with fewer than two. */
export function nextCamera(
  cameras: readonly { readonly deviceId: string }[],
  currentId: string | undefined,
): string | undefined {
  if (cameras.length < 2) return undefined
  const at = cameras.findIndex((camera) => camera.deviceId === currentId)
  return cameras[(at + 1) % cameras.length]?.deviceId
}
