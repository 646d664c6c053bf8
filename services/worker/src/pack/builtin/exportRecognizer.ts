import { GraphBuilder } from '../../onnx/graphBuilder.js';
import type { ModelProto } from '../../onnx/proto.js';
import { DataType } from '../../onnx/tensor.js';
import { miniArchitecture as arch } from './architecture.js';
import { batchDim, batchNorm, dense, finishModel, tensorWeight, weight } from './onnxLayers.js';
import type { ConvLayer, RecognizerWeights } from './recognizerNetwork.js';

export const recognizerIo = { input: 'aligned', output: 'embedding' } as const;

function conv(builder: GraphBuilder, name: string, layer: ConvLayer, x: string): string {
  const size = layer.weight.shape[2];
  const pad = Math.floor(size / 2);
  return builder.op(
    'Conv',
    [x, tensorWeight(builder, `${name}.weight`, layer.weight)],
    { kernel_shape: [size, size], strides: [layer.stride, layer.stride], pads: [pad, pad, pad, pad] },
    name,
  );
}

function prelu(builder: GraphBuilder, name: string, slopes: Float64Array, x: string): string {
  return builder.op('PRelu', [x, weight(builder, `${name}.weight`, [slopes.length, 1, 1], slopes)], undefined, name);
}

export function exportRecognizer(weights: RecognizerWeights): ModelProto {
  const builder = GraphBuilder.empty('recognizer');
  const size = arch.recognizerInputSize;
  builder.input(recognizerIo.input, DataType.FLOAT, [batchDim, arch.imageChannels, size, size]);
  let x = conv(builder, 'conv1', weights.stem, recognizerIo.input);
  x = prelu(builder, 'prelu', weights.stemPrelu, batchNorm(builder, 'bn1', x, weights.stemBn));
  weights.blocks.forEach((block, index) => {
    const name = `layer.${index}`;
    let y = conv(builder, `${name}.conv1`, block.conv1, batchNorm(builder, `${name}.bn1`, x, block.bn1));
    y = prelu(builder, `${name}.prelu`, block.prelu, batchNorm(builder, `${name}.bn2`, y, block.bn2));
    y = batchNorm(builder, `${name}.bn3`, conv(builder, `${name}.conv2`, block.conv2, y), block.bn3);
    const shortcut = block.shortcut
      ? batchNorm(
          builder,
          `${name}.downsample.1`,
          conv(builder, `${name}.downsample.0`, block.shortcut.conv, x),
          block.shortcut.bn,
        )
      : x;
    x = builder.op('Add', [y, shortcut]);
  });
  x = builder.op('Flatten', [batchNorm(builder, 'bn2', x, weights.finalBn)], { axis: 1 });
  const embedding = batchNorm(builder, 'features', dense(builder, 'fc', x, weights.fc), weights.features);
  return finishModel(builder, embedding, { name: recognizerIo.output, dims: [batchDim, arch.embeddingDim] });
}
