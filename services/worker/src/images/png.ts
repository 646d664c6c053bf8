import { PNG } from 'pngjs';

/** A batch of generator outputs, NCHW float32, with the pixel range the generator produces. */
export interface ImageBatch {
  pixels: Float32Array;
  count: number;
  channels: number;
  height: number;
  width: number;
  /** Values mapped to 0 and 255, e.g. [−1, 1] for StyleGAN outputs. */
  range: readonly [number, number];
}

/** One image of the batch as an 8-bit PNG (RGB, or grey for one channel); values outside the range clip. */
export function encodePng(batch: ImageBatch, index: number): Buffer {
  const { pixels, channels, height, width, range } = batch;
  if (channels !== 1 && channels !== 3) throw new RangeError(`cannot write a ${channels}-channel image as PNG`);
  if (index < 0 || index >= batch.count) throw new RangeError(`image ${index} outside a batch of ${batch.count}`);
  const [low, high] = range;
  const scale = 255 / (high - low);
  const png = new PNG({ width, height, colorType: 6 });
  const plane = height * width;
  const base = index * channels * plane;
  for (let p = 0; p < plane; p++) {
    for (let c = 0; c < 3; c++) {
      const value = pixels[base + (channels === 1 ? 0 : c) * plane + p]!;
      png.data[p * 4 + c] = Math.min(255, Math.max(0, Math.round((value - low) * scale)));
    }
    png.data[p * 4 + 3] = 255;
  }
  return PNG.sync.write(png, { colorType: 2 });
}
