/** A named tensor destined for the weights file. */
export interface NamedTensor {
  name: string
  shape: number[]
  dtype: 'float32' | 'int32'
  data: Float32Array | Int32Array
}
