import { PNG } from 'pngjs';
import type { AlignmentSpec } from '../../../../src/core/packs/manifest.js';
import { resizeMatrix } from '../pack/resizeMatrix.js';

/**
 * The crop a pack's recognizer sees, from a stored generator image: the manifest's crop box, then
 * the same antialiased linear resize as the pack's alignment graph (resizeMatrix), on 8-bit pixels.
 */
export function alignedCrop(png: Uint8Array, alignment: AlignmentSpec): Buffer {
  const image = PNG.sync.read(Buffer.from(png));
  const { crop, outputSize } = alignment;
  if (!crop)
    throw new RangeError('aligned crops of a pack aligned by landmarks are not supported yet; export FULL images');
  if (crop.x + crop.width > image.width || crop.y + crop.height > image.height) {
    throw new RangeError(
      `crop box ${crop.width}×${crop.height}+${crop.x}+${crop.y} does not fit an image of ${image.width}×${image.height}`,
    );
  }
  const columns = resizeMatrix(crop.width, outputSize.width);
  const rows = resizeMatrix(crop.height, outputSize.height);
  const wide = new Float64Array(crop.height * outputSize.width * 3);
  for (let y = 0; y < crop.height; y++) {
    for (let ox = 0; ox < outputSize.width; ox++) {
      for (let c = 0; c < 3; c++) {
        let sum = 0;
        for (let x = 0; x < crop.width; x++) {
          const weight = columns[ox * crop.width + x]!;
          if (weight !== 0) sum += weight * image.data[((crop.y + y) * image.width + crop.x + x) * 4 + c]!;
        }
        wide[(y * outputSize.width + ox) * 3 + c] = sum;
      }
    }
  }
  const out = new PNG({ width: outputSize.width, height: outputSize.height, colorType: 6 });
  for (let oy = 0; oy < outputSize.height; oy++) {
    for (let ox = 0; ox < outputSize.width; ox++) {
      for (let c = 0; c < 3; c++) {
        let sum = 0;
        for (let y = 0; y < crop.height; y++) {
          const weight = rows[oy * crop.height + y]!;
          if (weight !== 0) sum += weight * wide[(y * outputSize.width + ox) * 3 + c]!;
        }
        out.data[(oy * outputSize.width + ox) * 4 + c] = Math.min(255, Math.max(0, Math.round(sum)));
      }
      out.data[(oy * outputSize.width + ox) * 4 + 3] = 255;
    }
  }
  return PNG.sync.write(out, { colorType: 2 });
}
