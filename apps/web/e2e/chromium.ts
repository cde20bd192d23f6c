/**
 * Chromium's fake camera, allowed without a prompt: a moving test pattern at 640 × 480, 20 frames a
 * second (add `--use-file-for-fake-video-capture=<y4m>` to film a photo instead, fake-camera.ts).
 */
export const FAKE_CAMERA_ARGS = ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream']
