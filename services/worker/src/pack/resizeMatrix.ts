/**
 * Weights of a 1-D linear resize as an [outSize × inSize] matrix (row i gives output i). Half-pixel
 * centres; when shrinking, the triangle filter widens by the shrink factor (antialiasing), so every
 * input pixel contributes and the gradient reaches all of them; taps outside the image are dropped and
 * the rest renormalised. This is ONNX Resize-18 (linear, half_pixel, antialias=1, exclude_outside=1),
 * torch's bilinear interpolate with antialias=True and Pillow's bilinear resize; when enlarging it is
 * plain bilinear (ONNX Resize-13 linear).
 */
export function resizeMatrix(inSize: number, outSize: number): Float64Array {
  if (!(Number.isInteger(inSize) && Number.isInteger(outSize) && inSize > 0 && outSize > 0)) {
    throw new RangeError(`resizeMatrix needs positive integer sizes, got ${inSize} -> ${outSize}`);
  }
  const matrix = new Float64Array(outSize * inSize);
  const step = inSize / outSize;
  const support = Math.max(step, 1);
  for (let i = 0; i < outSize; i++) {
    const centre = (i + 0.5) * step;
    const first = Math.max(Math.trunc(centre - support + 0.5), 0);
    const end = Math.min(Math.trunc(centre + support + 0.5), inSize);
    let total = 0;
    for (let j = first; j < end; j++) {
      const weight = Math.max(0, 1 - Math.abs((j + 0.5 - centre) / support));
      matrix[i * inSize + j] = weight;
      total += weight;
    }
    for (let j = first; j < end; j++) matrix[i * inSize + j] /= total;
  }
  return matrix;
}
