import { encodeModel, requireGraph } from '../onnx/model.js';
import { onnx, type ModelProto, type TensorProto } from '../onnx/proto.js';

/** Initializers smaller than this stay inside the model: the constants gradient rules add, biases. */
const MIN_SHARED_BYTES = 4 * 1024;
/** The name sessions know the shared buffer by; it is never a file. */
const LOCATION = 'brownian-shared-weights.bin';
const ALIGNMENT = 64;

export interface EncodedModel {
  bytes: Uint8Array;
  /** In-memory external data the session reads its large initializers from (onnxruntime's externalData). */
  externalData: { path: string; data: Uint8Array }[];
}

interface Slot {
  offset: number;
  length: number;
}

/**
 * One copy of a model's large weights that every session built from it (the forward composite and
 * each batch size's gradient graph) reads as in-memory external data, instead of each session
 * decoding its own copy of the initializers from the model bytes. onnxruntime keeps tensors over a
 * caller-owned external buffer without copying them; what its optimiser derives (reordered or
 * prepacked weights) stays per session. Measured in bench/iresnet50.bench.ts.
 */
export class SharedWeights {
  private constructor(
    private readonly buffer: Uint8Array,
    private readonly slots: ReadonlyMap<string, Slot>,
  ) {}

  /** Copies `model`'s large raw-data initializers into one aligned buffer. */
  static of(model: ModelProto): SharedWeights {
    const slots = new Map<string, Slot>();
    let size = 0;
    for (const tensor of requireGraph(model).initializer as TensorProto[]) {
      const length = tensor.rawData?.length ?? 0;
      if (length < MIN_SHARED_BYTES || slots.has(tensor.name)) continue;
      size = Math.ceil(size / ALIGNMENT) * ALIGNMENT;
      slots.set(tensor.name, { offset: size, length });
      size += length;
    }
    const buffer = new Uint8Array(size);
    for (const tensor of requireGraph(model).initializer as TensorProto[]) {
      const slot = slots.get(tensor.name);
      if (slot) buffer.set(tensor.rawData, slot.offset);
    }
    return new SharedWeights(buffer, slots);
  }

  get bytes(): number {
    return this.buffer.length;
  }

  /**
   * `model` encoded with every initializer whose name and bytes the buffer holds pointing into it; other
   * initializers (a run's own constants under a shared name included) stay inline. `model` is unchanged.
   */
  encode(model: ModelProto): EncodedModel {
    const graph = requireGraph(model);
    const original = graph.initializer;
    graph.initializer = original.map((tensor) => this.reference(tensor as TensorProto) ?? tensor);
    try {
      const externalData = this.slots.size > 0 ? [{ path: LOCATION, data: this.buffer }] : [];
      return { bytes: encodeModel(model), externalData };
    } finally {
      graph.initializer = original;
    }
  }

  private reference(tensor: TensorProto): TensorProto | undefined {
    const slot = this.slots.get(tensor.name);
    const raw = tensor.rawData;
    if (!slot || !raw || raw.length !== slot.length) return undefined;
    if (!Buffer.from(raw.buffer, raw.byteOffset, raw.length).equals(this.view(slot))) return undefined;
    return onnx.TensorProto.create({
      name: tensor.name,
      dims: tensor.dims,
      dataType: tensor.dataType,
      dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
      externalData: [
        { key: 'location', value: LOCATION },
        { key: 'offset', value: String(slot.offset) },
        { key: 'length', value: String(slot.length) },
      ],
    });
  }

  private view(slot: Slot): Buffer {
    return Buffer.from(this.buffer.buffer, this.buffer.byteOffset + slot.offset, slot.length);
  }
}
