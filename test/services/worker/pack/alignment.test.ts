import { describe, expect, it } from 'vitest';
import { buildAlignmentModel } from '../../../../services/worker/src/pack/alignment.js';
import type { AlignmentSpec } from '../../../../src/core/packs/manifest.js';
import { resizeMatrix } from '../../../../services/worker/src/pack/resizeMatrix.js';
import { asFloat32, float32 } from '../../../../services/worker/src/runtime/hostTensor.js';
import { createSession, runSession } from '../../../../services/worker/src/runtime/session.js';

const generator = { channels: 3, height: 20, width: 18, pixelRange: [-1, 1] as [number, number] };

/** Crop, separable resize and range map written out pixel by pixel. */
function expected(image: Float32Array, n: number, spec: AlignmentSpec): Float64Array {
  const { outputSize } = spec;
  const crop = spec.crop!;
  const rows = resizeMatrix(crop.height, outputSize.height);
  const cols = resizeMatrix(crop.width, outputSize.width);
  const gain = (spec.pixelRange[1] - spec.pixelRange[0]) / (generator.pixelRange[1] - generator.pixelRange[0]);
  const out = new Float64Array(n * generator.channels * outputSize.height * outputSize.width);
  let k = 0;
  for (let plane = 0; plane < n * generator.channels; plane++) {
    for (let i = 0; i < outputSize.height; i++) {
      for (let j = 0; j < outputSize.width; j++) {
        let sum = 0;
        for (let y = 0; y < crop.height; y++) {
          for (let x = 0; x < crop.width; x++) {
            const pixel = image[(plane * generator.height + crop.y + y) * generator.width + crop.x + x];
            sum += rows[i * crop.height + y] * cols[j * crop.width + x] * pixel;
          }
        }
        out[k++] = spec.pixelRange[0] + (sum - generator.pixelRange[0]) * gain;
      }
    }
  }
  return out;
}

describe('buildAlignmentModel', () => {
  it.each<[string, AlignmentSpec]>([
    [
      'shrinking an off-centre box to [0, 255]',
      { crop: { x: 3, y: 1, width: 14, height: 16 }, outputSize: { width: 9, height: 7 }, pixelRange: [0, 255] },
    ],
    [
      'enlarging a small box to [0, 1]',
      { crop: { x: 0, y: 5, width: 6, height: 6 }, outputSize: { width: 11, height: 11 }, pixelRange: [0, 1] },
    ],
    [
      'the whole image unchanged',
      { crop: { x: 0, y: 0, width: 18, height: 20 }, outputSize: { width: 18, height: 20 }, pixelRange: [-1, 1] },
    ],
  ])('crops, resizes and maps the pixel range: %s', async (_, spec) => {
    const n = 2;
    const size = n * generator.channels * generator.height * generator.width;
    const image = Float32Array.from({ length: size }, (_, k) => Math.sin(k * 0.173) * 0.9);
    const session = await createSession(buildAlignmentModel(spec, generator), { provider: 'cpu' });
    const out = await runSession(session, {
      image: float32([n, generator.channels, generator.height, generator.width], image),
    });
    await session.release();
    const aligned = out.aligned!;
    expect(aligned.dims).toEqual([n, generator.channels, spec.outputSize.height, spec.outputSize.width]);
    const reference = expected(image, n, spec);
    const scale = spec.pixelRange[1] - spec.pixelRange[0];
    asFloat32(aligned).forEach((v, k) => expect(Math.abs(v - reference[k])).toBeLessThan(1e-5 * scale));
  });
});
