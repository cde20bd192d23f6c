import type { GraphNode } from '../artifacts.ts'

/** TensorFlow's proto-JSON encoding of node attributes, as tfjs-converter reads it. */
export const attr = {
  float: () => ({ type: 'DT_FLOAT' }),
  int32: () => ({ type: 'DT_INT32' }),
  ints: (values: readonly number[]) => ({ list: { i: values.map(String) } }),
  int: (value: number) => ({ i: String(value) }),
  real: (value: number) => ({ f: value }),
  bool: (value: boolean) => ({ b: value }),
  string: (value: string) => ({ s: btoa(value) }),
  strings: (values: readonly string[]) => ({ list: { s: values.map((v) => btoa(v)) } }),
  shape: (dims: readonly number[]) => ({ shape: { dim: dims.map((d) => ({ size: String(d) })) } }),
}

/** A constant whose value lives in the weights file under the node's name. */
export function constNode(name: string, shape: readonly number[], dtype: 'float32' | 'int32'): GraphNode {
  const tfType = dtype === 'float32' ? 'DT_FLOAT' : 'DT_INT32'
  return {
    name,
    op: 'Const',
    attr: {
      dtype: { type: tfType },
      value: { tensor: { dtype: tfType, tensorShape: { dim: shape.map((d) => ({ size: String(d) })) } } },
    },
  }
}

export function placeholderNode(name: string, shape: readonly number[]): GraphNode {
  return { name, op: 'Placeholder', attr: { dtype: attr.float(), shape: attr.shape(shape) } }
}
