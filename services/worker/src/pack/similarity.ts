import type { Point } from '../../../../src/core/packs/manifest.js';

/** ArcFace's five-point template (eyes, nose tip, mouth corners) for 112×112 crops, as insightface's norm_crop uses. */
export const arcfaceTemplate112: readonly Point[] = [
  [38.2946, 51.6963],
  [73.5318, 51.5014],
  [56.0252, 71.7366],
  [41.5493, 92.3655],
  [70.7299, 92.2041],
];

export function arcfaceTemplate(width: number, height: number): Point[] {
  return arcfaceTemplate112.map(([x, y]) => [(x * width) / 112, (y * height) / 112]);
}

/** A 2×3 affine map [[a, −b, tx], [b, a, ty]]: rotation and uniform scale, then a shift. */
export interface Similarity {
  a: number;
  b: number;
  tx: number;
  ty: number;
}

/**
 * The similarity taking `from` closest to `to` in least squares. In 2-D the map is linear in
 * (a, b, tx, ty), so the optimum is closed-form; it is Umeyama's estimate without reflection, which
 * skimage's SimilarityTransform (insightface's norm_crop) computes.
 */
export function estimateSimilarity(from: readonly Point[], to: readonly Point[]): Similarity {
  if (from.length !== to.length || from.length < 2)
    throw new RangeError(
      `estimateSimilarity needs matching point lists of 2 or more, got ${from.length} and ${to.length}`,
    );
  const mean = (points: readonly Point[], k: 0 | 1): number => points.reduce((s, p) => s + p[k], 0) / points.length;
  const [fx, fy, tx, ty] = [mean(from, 0), mean(from, 1), mean(to, 0), mean(to, 1)];
  let spread = 0;
  let cos = 0;
  let sin = 0;
  from.forEach(([x, y], i) => {
    const [u, v] = [x - fx, y - fy];
    const [p, q] = [to[i]![0] - tx, to[i]![1] - ty];
    spread += u * u + v * v;
    cos += u * p + v * q;
    sin += u * q - v * p;
  });
  if (!(spread > 0)) throw new RangeError('estimateSimilarity: the source points coincide');
  const a = cos / spread;
  const b = sin / spread;
  return { a, b, tx: tx - (a * fx - b * fy), ty: ty - (b * fx + a * fy) };
}

/** Bilinear taps of a warp: output pixel p reads indices[k·P + p] with weights[k·P + p], k = 0..3. */
export interface WarpTaps {
  indices: number[];
  weights: Float32Array;
}

/**
 * Taps of the image warp out(u, v) = in(S⁻¹(u, v)) for a similarity S from input to output pixels
 * (centres at integers, as OpenCV's warpAffine): exact bilinear weights, as torch's grid_sample;
 * taps outside the input get weight 0 (the image is zero outside).
 */
export function warpTaps(
  s: Similarity,
  input: { width: number; height: number },
  output: { width: number; height: number },
): WarpTaps {
  const det = s.a * s.a + s.b * s.b;
  const pixels = output.width * output.height;
  const indices = new Array<number>(4 * pixels).fill(0);
  const weights = new Float32Array(4 * pixels);
  for (let v = 0; v < output.height; v++) {
    for (let u = 0; u < output.width; u++) {
      const [du, dv] = [u - s.tx, v - s.ty];
      const x = (s.a * du + s.b * dv) / det;
      const y = (-s.b * du + s.a * dv) / det;
      const [x0, y0] = [Math.floor(x), Math.floor(y)];
      const [fx, fy] = [x - x0, y - y0];
      const p = v * output.width + u;
      const taps: Array<[number, number, number]> = [
        [x0, y0, (1 - fx) * (1 - fy)],
        [x0 + 1, y0, fx * (1 - fy)],
        [x0, y0 + 1, (1 - fx) * fy],
        [x0 + 1, y0 + 1, fx * fy],
      ];
      taps.forEach(([tx, ty, weight], k) => {
        if (tx < 0 || ty < 0 || tx >= input.width || ty >= input.height) return;
        indices[k * pixels + p] = ty * input.width + tx;
        weights[k * pixels + p] = weight;
      });
    }
  }
  return { indices, weights };
}
