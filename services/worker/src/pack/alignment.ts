import { GraphBuilder } from '../onnx/graphBuilder.js';
import { onnx, type ModelProto } from '../onnx/proto.js';
import { DataType, float32Tensor } from '../onnx/tensor.js';
import type { AlignmentSpec, GeneratorSpec } from '../../../../src/core/packs/manifest.js';
import { resizeMatrix } from './resizeMatrix.js';

export const alignmentIo = { input: 'image', output: 'aligned' } as const;
const alignmentOpset = 13;

/** Matrix [rows × cols] transposed, as float32. */
function transposed(matrix: Float64Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = matrix[r * cols + c];
  return out;
}

/**
 * The alignment step as an ONNX graph [n, c, H, W] → [n, c, h, w]: Slice the crop box, resize it to the
 * recognizer's input size, and map the generator's pixel range onto the recognizer's. The resize is the
 * separable linear filter of resizeMatrix written as two MatMuls with constant matrices: exact output
 * sizes for any batch, and a gradient that is just the transposed matrices.
 */
export function buildAlignmentModel(alignment: AlignmentSpec, generator: Pick<GeneratorSpec, 'channels' | 'height' | 'width' | 'pixelRange'>): ModelProto {
  const { crop, outputSize } = alignment;
  const builder = GraphBuilder.empty('alignment');
  builder.input(alignmentIo.input, DataType.FLOAT, ['batch', generator.channels, generator.height, generator.width]);
  const cropped = builder.op(
    'Slice',
    [
      alignmentIo.input,
      builder.constantInt64([crop.y, crop.x], [2], 'crop_starts'),
      builder.constantInt64([crop.y + crop.height, crop.x + crop.width], [2], 'crop_ends'),
      builder.constantInt64([2, 3], [2], 'crop_axes'),
    ],
    undefined,
    'crop',
  );
  const columns = builder.initializer(
    float32Tensor('resize_columns', [crop.width, outputSize.width], transposed(resizeMatrix(crop.width, outputSize.width), outputSize.width, crop.width)),
  );
  const rows = builder.initializer(
    float32Tensor('resize_rows', [crop.height, outputSize.height], transposed(resizeMatrix(crop.height, outputSize.height), outputSize.height, crop.height)),
  );
  const widthResized = builder.op('MatMul', [cropped, columns], undefined, 'resize_width');
  const heightLast = builder.op('Transpose', [widthResized], { perm: [0, 1, 3, 2] });
  const resized = builder.op('Transpose', [builder.op('MatMul', [heightLast, rows], undefined, 'resize_height')], { perm: [0, 1, 3, 2] });
  const [low, high] = generator.pixelRange;
  const [targetLow, targetHigh] = alignment.pixelRange;
  const gain = (targetHigh - targetLow) / (high - low);
  const offset = targetLow - low * gain;
  const scaled = builder.op('Mul', [resized, builder.constantFloat([gain], [], DataType.FLOAT, 'range_gain')]);
  builder.node('Add', [scaled, builder.constantFloat([offset], [], DataType.FLOAT, 'range_offset')], { outputs: [alignmentIo.output], name: 'range_offset' });
  builder.output(alignmentIo.output, DataType.FLOAT, ['batch', generator.channels, outputSize.height, outputSize.width]);
  return onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'brownian',
    opsetImport: [{ domain: '', version: alignmentOpset }],
    graph: builder.graph,
  });
}
