import { GraphBuilder } from '../onnx/graphBuilder.js';
import { onnx, type ModelProto } from '../onnx/proto.js';
import { DataType, float32Tensor } from '../onnx/tensor.js';
import type {
  AlignmentSpec,
  CropBox,
  GeneratorSpec,
  LandmarkAlignment,
  RecognizerSpec,
} from '../../../../src/core/packs/manifest.js';
import { resizeMatrix } from './resizeMatrix.js';
import { arcfaceTemplate, estimateSimilarity, warpTaps } from './similarity.js';

export const alignmentIo = { input: 'image', output: 'aligned' } as const;
const alignmentOpset = 13;

type GeneratorImage = Pick<GeneratorSpec, 'channels' | 'height' | 'width' | 'pixelRange'>;
type Preprocessing = Pick<RecognizerSpec, 'channelOrder' | 'normalization' | 'layout'>;
type Size = { width: number; height: number };

/** Matrix [rows × cols] transposed, as float32. */
function transposed(matrix: Float64Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = matrix[r * cols + c];
  return out;
}

/**
 * The recognizer's input as an ONNX graph of the generator image [n, c, H, W]: the pixel-range map,
 * the geometry (crop and resize, or a similarity warp from five landmarks), then the recognizer's own
 * preprocessing (channel order, per-channel mean and std, NHWC). Every step is a constant linear map
 * written with standard ops, so its gradient costs about what its forward does.
 */
export function buildAlignmentModel(
  alignment: AlignmentSpec,
  generator: GeneratorImage,
  recognizer: Preprocessing = {},
): ModelProto {
  const builder = GraphBuilder.empty('alignment');
  const { channels } = generator;
  builder.input(alignmentIo.input, DataType.FLOAT, ['batch', channels, generator.height, generator.width]);
  const [low, high] = generator.pixelRange;
  const [targetLow, targetHigh] = alignment.pixelRange;
  const gain = (targetHigh - targetLow) / (high - low);
  const offset = targetLow - low * gain;
  const ranged = builder.op('Add', [
    builder.op('Mul', [alignmentIo.input, builder.constantFloat([gain], [], DataType.FLOAT, 'range_gain')]),
    builder.constantFloat([offset], [], DataType.FLOAT, 'range_offset'),
  ]);
  const geometry = alignment.crop
    ? cropAndResize(builder, ranged, alignment.crop, alignment.outputSize)
    : warp(builder, ranged, alignment.landmarks!, generator, alignment.outputSize, channels);
  const { width, height } = alignment.outputSize;
  let x = geometry;
  if (recognizer.channelOrder === 'BGR')
    x = builder.op('Gather', [x, builder.constantInt64([...Array(channels).keys()].reverse(), [channels], 'bgr')], {
      axis: 1,
    });
  if (recognizer.normalization) {
    const perChannel = (values: number[]): number[] =>
      values.length === 1 ? Array<number>(channels).fill(values[0]!) : values;
    const mean = perChannel(recognizer.normalization.mean);
    const inverseStd = perChannel(recognizer.normalization.std).map((s) => 1 / s);
    x = builder.op('Mul', [
      builder.op('Sub', [x, builder.constantFloat(mean, [1, channels, 1, 1], DataType.FLOAT, 'mean')]),
      builder.constantFloat(inverseStd, [1, channels, 1, 1], DataType.FLOAT, 'inverse_std'),
    ]);
  }
  const nhwc = recognizer.layout === 'NHWC';
  builder.node(nhwc ? 'Transpose' : 'Identity', [x], {
    outputs: [alignmentIo.output],
    name: 'layout',
    attributes: nhwc ? { perm: [0, 2, 3, 1] } : undefined,
  });
  builder.output(
    alignmentIo.output,
    DataType.FLOAT,
    nhwc ? ['batch', height, width, channels] : ['batch', channels, height, width],
  );
  return onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'brownian',
    opsetImport: [{ domain: '', version: alignmentOpset }],
    graph: builder.graph,
  });
}

/**
 * Slice the crop box and resize it with the separable filter of resizeMatrix, as two MatMuls with
 * constant matrices: exact output sizes for any batch, and a gradient that is the transposed matrices.
 */
function cropAndResize(builder: GraphBuilder, image: string, crop: CropBox, outputSize: Size): string {
  const cropped = builder.op(
    'Slice',
    [
      image,
      builder.constantInt64([crop.y, crop.x], [2], 'crop_starts'),
      builder.constantInt64([crop.y + crop.height, crop.x + crop.width], [2], 'crop_ends'),
      builder.constantInt64([2, 3], [2], 'crop_axes'),
    ],
    undefined,
    'crop',
  );
  const columns = builder.initializer(
    float32Tensor(
      'resize_columns',
      [crop.width, outputSize.width],
      transposed(resizeMatrix(crop.width, outputSize.width), outputSize.width, crop.width),
    ),
  );
  const rows = builder.initializer(
    float32Tensor(
      'resize_rows',
      [crop.height, outputSize.height],
      transposed(resizeMatrix(crop.height, outputSize.height), outputSize.height, crop.height),
    ),
  );
  const widthResized = builder.op('MatMul', [cropped, columns], undefined, 'resize_width');
  const heightLast = builder.op('Transpose', [widthResized], { perm: [0, 1, 3, 2] });
  return builder.op('Transpose', [builder.op('MatMul', [heightLast, rows], undefined, 'resize_height')], {
    perm: [0, 1, 3, 2],
  });
}

/**
 * The similarity warp as a gather of four bilinear taps per output pixel from the flattened image,
 * weighted and summed. Its gradient is the transposed gather (gradients/Gather.ts), linear in the
 * image size where a dense matrix would be quadratic.
 */
function warp(
  builder: GraphBuilder,
  image: string,
  landmarks: LandmarkAlignment,
  generator: GeneratorImage,
  outputSize: Size,
  channels: number,
): string {
  const template =
    landmarks.template === 'arcface' ? arcfaceTemplate(outputSize.width, outputSize.height) : landmarks.template;
  const taps = warpTaps(estimateSimilarity(landmarks.points, template), generator, outputSize);
  const pixels = outputSize.width * outputSize.height;
  const flat = builder.op('Reshape', [
    image,
    builder.constantInt64([0, channels, generator.height * generator.width], [3], 'flat_shape'),
  ]);
  const gathered = builder.op(
    'Gather',
    [flat, builder.constantInt64(taps.indices, [4 * pixels], 'warp_taps')],
    { axis: 2 },
    'warp_gather',
  );
  const byTap = builder.op('Reshape', [gathered, builder.constantInt64([0, channels, 4, pixels], [4], 'tap_shape')]);
  const weighted = builder.op('Mul', [
    byTap,
    builder.initializer(float32Tensor('warp_weights', [4, pixels], taps.weights)),
  ]);
  const summed = builder.op('ReduceSum', [weighted, builder.constantInt64([2], [1], 'tap_axis')], { keepdims: 0 });
  return builder.op('Reshape', [
    summed,
    builder.constantInt64([0, channels, outputSize.height, outputSize.width], [4], 'warped_shape'),
  ]);
}
