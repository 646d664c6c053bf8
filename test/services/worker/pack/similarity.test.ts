import { describe, expect, it } from 'vitest';
import type { Point } from '../../../../src/core/packs/manifest.js';
import { arcfaceTemplate, estimateSimilarity, warpTaps } from '../../../../services/worker/src/pack/similarity.js';

describe('estimateSimilarity', () => {
  it('recovers a rotation, scale and shift from exact correspondences', () => {
    const [angle, scale, tx, ty] = [0.3, 0.45, 12.5, -7.25];
    const [a, b] = [scale * Math.cos(angle), scale * Math.sin(angle)];
    const from: Point[] = [
      [80, 100],
      [170, 98],
      [125, 150],
      [90, 200],
      [160, 202],
    ];
    const to = from.map(([x, y]): Point => [a * x - b * y + tx, b * x + a * y + ty]);
    const s = estimateSimilarity(from, to);
    expect([s.a, s.b, s.tx, s.ty].map((v) => Number(v.toFixed(9)))).toEqual(
      [a, b, tx, ty].map((v) => Number(v.toFixed(9))),
    );
  });

  it('scales the ArcFace template with the output size', () => {
    expect(arcfaceTemplate(224, 112)[0]).toEqual([38.2946 * 2, 51.6963]);
  });
});

describe('warpTaps', () => {
  it('samples bilinearly at the mapped point and gives taps outside the image no weight', () => {
    // out(u, v) = in((u - 1) / 2, v / 2): a 2x enlargement shifted by one output pixel.
    const taps = warpTaps({ a: 2, b: 0, tx: 1, ty: 0 }, { width: 3, height: 2 }, { width: 4, height: 3 });
    const pixels = 12;
    const at = (u: number, v: number): Array<[number, number]> =>
      [0, 1, 2, 3]
        .map((k) => [taps.indices[k * pixels + v * 4 + u]!, taps.weights[k * pixels + v * 4 + u]!])
        .filter(([, w]) => w > 0) as Array<[number, number]>;
    expect(at(2, 0)).toEqual([
      [0, 0.5],
      [1, 0.5],
    ]);
    expect(at(1, 1)).toEqual([
      [0, 0.5],
      [3, 0.5],
    ]);
    expect(at(0, 0)).toEqual([[0, 0.5]]);
  });
});
