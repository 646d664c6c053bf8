import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COSINE_SCALE, unitRows } from '../../../../services/worker/src/diffusion/angular.js';
import * as reference from '../../../../services/worker/src/diffusion/repulsion.js';
import {
  galleryExclusion,
  pairDistanceStats,
  pairRepulsion,
} from '../../../../services/worker/src/pairwise/angularRepulsion.js';
import { PairwiseEngine } from '../../../../services/worker/src/pairwise/engine.js';
import { mulberry32 } from '../../../support/mulberry32.js';
import { worstRowError } from '../../../support/forceError.js';

const k = 1.3;

function gaussian(next: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
}

/**
 * `count` rows of dimension `dim` around a shared direction (weight `shared`; 0 gives isotropic
 * rows), then pairs placed exactly at the radius and near-duplicates: row 2m+1 is row 2m turned by
 * the radius (m < atRadius) or by 1e-3 radians (next nearDuplicates pairs).
 */
function embeddings(
  count: number,
  dim: number,
  shared: number,
  radius: number,
  atRadius: number,
  nearDuplicates: number,
  seed: number,
) {
  const next = mulberry32(seed);
  const centre = Array.from({ length: dim }, () => gaussian(next));
  const rows = new Float64Array(count * dim);
  for (let i = 0; i < count; i++)
    for (let d = 0; d < dim; d++) rows[i * dim + d] = gaussian(next) + shared * centre[d]!;
  const turn = (m: number, angle: number) => {
    const a = rows.subarray(2 * m * dim, (2 * m + 1) * dim);
    const norm = Math.hypot(...a);
    const v = Array.from({ length: dim }, () => gaussian(next));
    const along = v.reduce((s, x, d) => s + (x * a[d]!) / norm, 0);
    const perp = v.map((x, d) => x - (along * a[d]!) / norm);
    const perpNorm = Math.hypot(...perp);
    for (let d = 0; d < dim; d++)
      rows[(2 * m + 1) * dim + d] = 2 * (Math.cos(angle) * (a[d]! / norm) + Math.sin(angle) * (perp[d]! / perpNorm));
  };
  // The angle whose scaled cosine is the radius's: d = arccos(c·s) = radius exactly.
  const atRadiusAngle = Math.acos(Math.cos(radius) / COSINE_SCALE);
  for (let m = 0; m < atRadius; m++) turn(m, atRadiusAngle);
  for (let m = atRadius; m < atRadius + nearDuplicates; m++) turn(m, 1e-3);
  return Float32Array.from(rows);
}

const cases = [
  { name: 'clustered, D = 512', count: 600, dim: 512, shared: 0.45, radius: 1.4, ict: 1.4 },
  { name: 'isotropic, D = 512, radius near π/2', count: 600, dim: 512, shared: 0, radius: 1.57, ict: 1.58 },
  { name: 'clustered, D = 16', count: 700, dim: 16, shared: 0.8, radius: 1.4, ict: 1.1 },
  { name: 'isotropic, D = 16', count: 700, dim: 16, shared: 0, radius: 1.4, ict: 1.6 },
];

describe('pairRepulsion on the engine', () => {
  let engine: PairwiseEngine;
  let smallTiles: PairwiseEngine;
  beforeAll(async () => {
    engine = await PairwiseEngine.open('cpu');
    smallTiles = await PairwiseEngine.open('cpu', { tileRows: 128 });
  });
  afterAll(async () => {
    await engine.release();
    await smallTiles.release();
  });

  it.each(cases)('equals the float64 reference kernel: $name', async ({ count, dim, shared, radius, ict }) => {
    const e = unitRows(embeddings(count, dim, shared, radius, 20, 10, dim + count), count, dim);
    const want = reference.pairRepulsion(e, { coefficient: k, radius, tileSize: 64 }, ict);
    for (const eng of [engine, smallTiles]) {
      const got = await pairRepulsion(eng, e, { coefficient: k, radius }, ict);
      // The issue asks 1e-5 (float32 tiles, refined: see angularRepulsion.ts); measured at most
      // 3e-6 (isotropic, D = 16, where the float32 MatMul of a whole 1024-row block sums the most
      // rounding) and under 1e-6 at D = 512. Identities pushed only by the pairs placed at the
      // radius have forces of a few 1e-10, where any rounding of s shows as 1e-7 of them.
      expect(worstRowError(got.gradient, want.gradient, dim)).toBeLessThan(1e-5);
      // The float32 path does the work: few identities need their row again in float64.
      expect(got.refined.rows).toBeLessThan(count / 50);
      expect(got.refined.pairs).toBeLessThan((count * count) / 20);
      // Counts and extremes come from float64 distances; the mean sums the tiles' float32 ones,
      // whose arccos errs by up to an ulp smoothly in x (it does not average out): the issue asks
      // equality up to float32 rounding, here two float32 ulps of the mean.
      expect(got.stats.propIct).toBe(want.stats.propIct);
      for (const key of ['min', 'max'] as const)
        expect(Math.abs(got.stats.distance[key] - want.stats.distance[key])).toBeLessThan(1e-12);
      expect(Math.abs(got.stats.distance.avg - want.stats.distance.avg)).toBeLessThan(
        2 ** -23 * want.stats.distance.avg,
      );
      expect(await pairDistanceStats(eng, e, ict)).toEqual(got.stats);
    }
    // Some pairs repel and some do not.
    expect(want.stats.propIct).toBeGreaterThan(0.05);
    expect(want.stats.propIct).toBeLessThan(0.95);
  });

  it.each([64, 512])(
    'gives the same bits for every tile size that is a multiple of the reduction block (D = %i)',
    async (dim) => {
      const [count, radius, ict] = [700, 1.4, 1.3];
      const e = unitRows(embeddings(count, dim, 0.5, radius, 10, 5, 9), count, dim);
      const results = [];
      for (const tileRows of [128, 256, 384, 1024]) {
        const eng = await PairwiseEngine.open('cpu', { tileRows, reductionRows: 128 });
        results.push(await pairRepulsion(eng, e, { coefficient: k, radius }, ict));
        await eng.release();
      }
      for (const result of results.slice(1)) {
        expect(result.stats).toEqual(results[0]!.stats);
        expect(result.gradient).toEqual(results[0]!.gradient);
      }
      // smallTiles: tiles of 128 rows, and so reduction blocks of 128 rows.
      const again = await pairRepulsion(smallTiles, e, { coefficient: k, radius }, ict);
      expect(again.gradient).toEqual(results[0]!.gradient);
    },
  );

  it('gives the same bits again with the planned tiles (reduction blocks of a whole tile)', async () => {
    // Several tiles of 1024 rows, each one reduction block: the forces stay within the issue's
    // 1e-5 of the reference and the counts equal its own.
    const [count, dim, radius, ict] = [2200, 32, 1.4, 1.3];
    const e = unitRows(embeddings(count, dim, 0.5, radius, 10, 5, 11), count, dim);
    expect(engine.forcePlan(dim)).toMatchObject({ tileRows: 1024, reductionRows: 1024 });
    const planned = await pairRepulsion(engine, e, { coefficient: k, radius }, ict);
    const again = await pairRepulsion(engine, e, { coefficient: k, radius }, ict);
    expect(again.gradient).toEqual(planned.gradient);
    expect(again.stats).toEqual(planned.stats);
    const want = reference.pairRepulsion(e, { coefficient: k, radius, tileSize: 64 }, ict);
    expect(worstRowError(planned.gradient, want.gradient, dim)).toBeLessThan(1e-5);
    expect(planned.stats.propIct).toBe(want.stats.propIct);
  });
});

describe('the float64 force tiles (CUDA plan) on CPU', () => {
  it('equal the float64 reference kernel to float64 rounding', async () => {
    const [count, dim, radius, ict] = [300, 64, 1.4, 1.3];
    const e = unitRows(embeddings(count, dim, 0.5, radius, 10, 5, 21), count, dim);
    const eng = await PairwiseEngine.open('cpu', { tileRows: 128, forceTileType: 'float64' });
    try {
      const got = await pairRepulsion(eng, e, { coefficient: k, radius }, ict);
      const want = reference.pairRepulsion(e, { coefficient: k, radius, tileSize: 64 }, ict);
      expect(worstRowError(got.gradient, want.gradient, dim)).toBeLessThan(1e-9);
      expect(got.stats.propIct).toBe(want.stats.propIct);
      expect(Math.abs(got.stats.distance.avg - want.stats.distance.avg)).toBeLessThan(1e-12);
      const gallery = unitRows(embeddings(200, dim, 0.5, radius, 0, 0, 22), 200, dim);
      const exclusion = await galleryExclusion(eng, e, gallery, { coefficient: k, radius: 1.25 });
      const wantExclusion = reference.galleryExclusion(e, gallery, { coefficient: k, radius: 1.25, tileSize: 64 });
      expect(worstRowError(exclusion.gradient, wantExclusion.gradient, dim)).toBeLessThan(1e-9);
      expect(exclusion.stats).toEqual(wantExclusion.stats);
    } finally {
      await eng.release();
    }
  });
});

/**
 * 400 identities (even rows) and a gallery of 400 (odd rows): identity m's partner in the gallery
 * sits exactly at the radius (m < 10) or 1e-3 radians away (the next 5).
 */
function identitiesAndGallery(dim: number, shared: number, radius: number) {
  const rows = embeddings(800, dim, shared, radius, 10, 5, 77);
  const pick = (parity: number) => {
    const out = new Float32Array(400 * dim);
    for (let m = 0; m < 400; m++) out.set(rows.subarray((2 * m + parity) * dim, (2 * m + parity + 1) * dim), m * dim);
    return unitRows(out, 400, dim);
  };
  return { e: pick(0), gallery: pick(1) };
}

describe('galleryExclusion on the engine', () => {
  let engine: PairwiseEngine;
  beforeAll(async () => {
    engine = await PairwiseEngine.open('cpu', { tileRows: 128 });
  });
  afterAll(() => engine.release());

  it.each([
    { dim: 512, shared: 0.45, radius: 1.25 },
    { dim: 16, shared: 0.8, radius: 0.5 },
  ])('equals the float64 reference kernel (D = $dim)', async ({ dim, shared, radius }) => {
    const { e, gallery } = identitiesAndGallery(dim, shared, radius);
    const want = reference.galleryExclusion(e, gallery, { coefficient: k, radius, tileSize: 64 });
    const got = await galleryExclusion(engine, e, gallery, { coefficient: k, radius });
    expect(worstRowError(got.gradient, want.gradient, dim)).toBeLessThan(1e-5);
    expect(got.stats.identitiesWithin).toBe(want.stats.identitiesWithin);
    expect(Math.abs(got.stats.minDistance - want.stats.minDistance)).toBeLessThan(1e-12);
    expect(want.stats.identitiesWithin).toBeGreaterThan(20);
    expect(want.stats.identitiesWithin).toBeLessThan(400);
  });

  it('gives the same bits for every tile size that is a multiple of the reduction block', async () => {
    const { e, gallery } = identitiesAndGallery(512, 0.45, 1.25);
    const results = [];
    for (const tileRows of [128, 256, 1024]) {
      const eng = await PairwiseEngine.open('cpu', { tileRows, reductionRows: 128 });
      results.push(await galleryExclusion(eng, e, gallery, { coefficient: k, radius: 1.25 }));
      await eng.release();
    }
    for (const result of results.slice(1)) expect(result).toEqual(results[0]);
  });
});
