/**
 * `Identity`, and `Cast` to the dtype a tensor already has, for the wasm backend without a copy: the output
 * shares the input's data and its reference count goes up, as the cpu backend's Identity and the wasm
 * backend's own Reshape already do. The built-ins copy every element. tfjs's engine runs Identity on each
 * activation it saves for the backward pass (`clone` in `saveTensorsForBackwardMode`), and every ReLU's
 * gradient casts its float32 mask to float32: 35 + 10 ms of a 0.76 s seed-CNN step at batch 32, for data
 * nobody writes to. Sharing is safe because no wasm kernel, built-in or Whisker's, writes into an input: each
 * writes only the output it allocates. Strings, and casts that convert, keep the built-ins.
 */

import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm'
import type { CastAttrs, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core'
import type { Replacement } from './shared.ts'

/** The input's data, one more reference. */
function share(x: TensorInfo, backend: unknown): TensorInfo {
  ;(backend as BackendWasm).incRef(x.dataId)
  return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype }
}

export const identity: Replacement = {
  kernelName: 'Identity',
  make:
    (fallback: KernelFunc): KernelFunc =>
    (args) => {
      const x = args.inputs.x as TensorInfo
      return x.dtype === 'string' ? fallback(args) : share(x, args.backend)
    },
}

export const castToOwnType: Replacement = {
  kernelName: 'Cast',
  make:
    (fallback: KernelFunc): KernelFunc =>
    (args) => {
      const x = args.inputs.x as TensorInfo
      const { dtype } = args.attrs as unknown as CastAttrs
      return x.dtype === 'string' || x.dtype !== dtype ? fallback(args) : share(x, args.backend)
    },
}
