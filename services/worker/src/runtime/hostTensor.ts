import ort from 'onnxruntime-node';

/** A tensor in host memory, typed by its element type so callers never guess the array kind. */
export type HostTensor =
  | { readonly type: 'float32'; readonly dims: readonly number[]; readonly data: Float32Array }
  | { readonly type: 'float64'; readonly dims: readonly number[]; readonly data: Float64Array }
  | { readonly type: 'int64'; readonly dims: readonly number[]; readonly data: BigInt64Array }
  | { readonly type: 'int32'; readonly dims: readonly number[]; readonly data: Int32Array }
  | { readonly type: 'bool'; readonly dims: readonly number[]; readonly data: Uint8Array };

export function float32(dims: readonly number[], data: Float32Array): HostTensor {
  return checked({ type: 'float32', dims, data });
}

export function float64(dims: readonly number[], data: Float64Array): HostTensor {
  return checked({ type: 'float64', dims, data });
}

export function int64(dims: readonly number[], data: BigInt64Array): HostTensor {
  return checked({ type: 'int64', dims, data });
}

export function asFloat32(tensor: HostTensor, what = 'tensor'): Float32Array {
  if (tensor.type !== 'float32') throw new Error(`${what} is ${tensor.type}, expected float32`);
  return tensor.data;
}

export function toOrtTensor(tensor: HostTensor): ort.Tensor {
  return new ort.Tensor(tensor.type, tensor.data, [...tensor.dims]);
}

export function fromOrtTensor(tensor: ort.Tensor, name: string): HostTensor {
  const dims = [...tensor.dims];
  switch (tensor.type) {
    case 'float32':
      return { type: 'float32', dims, data: tensor.data as Float32Array };
    case 'float64':
      return { type: 'float64', dims, data: tensor.data as Float64Array };
    case 'int64':
      return { type: 'int64', dims, data: tensor.data as BigInt64Array };
    case 'int32':
      return { type: 'int32', dims, data: tensor.data as Int32Array };
    case 'bool':
      return { type: 'bool', dims, data: tensor.data as Uint8Array };
    default:
      throw new Error(`output ${name} has element type ${tensor.type}, which the runtime helpers do not handle`);
  }
}

function checked(tensor: HostTensor): HostTensor {
  const count = tensor.dims.reduce((a, b) => a * b, 1);
  if (count !== tensor.data.length)
    throw new Error(`tensor of dims [${tensor.dims.join(', ')}] given ${tensor.data.length} values`);
  return tensor;
}
