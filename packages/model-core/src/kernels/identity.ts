/**
 * `Identity` for the wasm backend without a copy: the output shares the input's data and its reference count
 * goes up, as the cpu backend's Identity and the wasm backend's own Reshape already do. The built-in copies
 * every element, and tfjs's engine runs it on each activation it saves for the backward pass (`clone` in
 * `saveTensorsForBackwardMode`): 35 ms of a 0.76 s seed-CNN step at batch 32, for data nobody writes to.
 * Sharing is safe because no wasm kernel, built-in or Whisker's, writes into an input: each writes only the
 * output it allocates. Strings keep the built-in.
 */

import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm'
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core'
import type { Replacement } from './shared.ts'

export const identity: Replacement = {
  kernelName: 'Identity',
  make:
    (fallback: KernelFunc): KernelFunc =>
    (args) => {
      const x = args.inputs.x as TensorInfo
      if (x.dtype === 'string') return fallback(args)
      ;(args.backend as BackendWasm).incRef(x.dataId)
      return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype }
    },
}
