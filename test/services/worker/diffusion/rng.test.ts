import { describe, expect, it } from 'vitest';
import { CounterRng, RandomStream, philox4x32 } from '../../../../services/worker/src/diffusion/rng.js';
import { parseSeed } from '../../../../src/core/runs/seed.js';

describe('philox4x32', () => {
  // Known-answer vectors of Random123 (kat_vectors): counter, key, expected output.
  const vectors: [number[], number[], number[]][] = [
    [
      [0, 0, 0, 0],
      [0, 0],
      [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8],
    ],
    [
      [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff],
      [0xffffffff, 0xffffffff],
      [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd],
    ],
    [
      [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344],
      [0xa4093822, 0x299f31d0],
      [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1],
    ],
  ];
  it.each(vectors)('matches the Random123 known answer for counter %j', (counter, key, expected) => {
    const out = new Uint32Array(4);
    philox4x32(counter[0]!, counter[1]!, counter[2]!, counter[3]!, key[0]!, key[1]!, out);
    expect(Array.from(out)).toEqual(expected);
  });
});

describe('CounterRng', () => {
  const address = { stream: RandomStream.langevinForce, iteration: 3, index: 17 } as const;

  it('gives the same values for the same seed and address, different ones otherwise', () => {
    const a = new Float64Array(9);
    const b = new Float64Array(9);
    new CounterRng(42n).normalRow(address, a, 0, 9);
    new CounterRng('42').normalRow(address, b, 0, 9);
    expect(Array.from(b)).toEqual(Array.from(a));
    const variants = [
      [new CounterRng(43n), address],
      [new CounterRng(42n), { ...address, iteration: 4 }],
      [new CounterRng(42n), { ...address, index: 18 }],
      [new CounterRng(42n), { ...address, subindex: 1 }],
      [new CounterRng(42n), { ...address, stream: RandomStream.dispersionForce }],
    ] as const;
    for (const [rng, other] of variants) {
      const c = new Float64Array(9);
      rng.normalRow(other, c, 0, 9);
      expect(Array.from(c)).not.toEqual(Array.from(a));
    }
  });

  it('computes each value from its Philox block: 53-bit uniforms, Box-Muller pairs, an odd last dimension', () => {
    const seed = 0x0123456789abcdefn;
    const rng = new CounterRng(seed);
    const key = [Number(seed & 0xffffffffn), Number(seed >> 32n)] as const;
    const at = { ...address, subindex: 5 };
    /** u = (high's top 27 bits · 2^26 + low's top 26 bits) / 2^53, composed in BigInt. */
    const uniform = (high: number, low: number) => Number((BigInt(high >>> 5) << 26n) | BigInt(low >>> 6)) / 2 ** 53;
    const block = (k: number) => {
      const words = new Uint32Array(4);
      philox4x32(k, at.index, at.iteration, ((at.stream << 24) | at.subindex) >>> 0, key[0], key[1], words);
      return words;
    };
    for (const length of [4, 5]) {
      const uniforms = new Float64Array(length + 4).fill(Number.NaN);
      const normals = new Float64Array(length + 4).fill(Number.NaN);
      rng.centredUniformRow(at, uniforms, 2, length);
      rng.normalRow(at, normals, 2, length);
      for (let d = 0; d < length; d += 1) {
        const w = block(d >> 1);
        const pair = d % 2 === 0 ? [w[0]!, w[1]!] : [w[2]!, w[3]!];
        expect(uniforms[2 + d], `uniform ${d}`).toBe(uniform(pair[0]!, pair[1]!) - 0.5);
        const radius = Math.sqrt(-2 * Math.log(1 - uniform(w[0]!, w[1]!)));
        const angle = 2 * Math.PI * uniform(w[2]!, w[3]!);
        expect(normals[2 + d], `normal ${d}`).toBe(radius * (d % 2 === 0 ? Math.cos(angle) : Math.sin(angle)));
      }
      // Nothing is written outside the row.
      for (const out of [uniforms, normals]) {
        expect([out[0], out[1], out[length + 2], out[length + 3]]).toEqual([NaN, NaN, NaN, NaN]);
      }
    }
  });

  it('addresses each value by its dimension, whatever the row length or buffer position', () => {
    const rng = new CounterRng(7n);
    const long = new Float64Array(11);
    rng.normalRow(address, long, 0, 11);
    for (const length of [1, 2, 5, 10]) {
      const short = new Float64Array(length + 3);
      rng.normalRow(address, short, 3, length);
      expect(Array.from(short.subarray(3))).toEqual(Array.from(long.subarray(0, length)));
    }
  });

  it('uses the whole 64-bit seed', () => {
    const low = new Float64Array(4);
    const high = new Float64Array(4);
    new CounterRng(5n).normalRow(address, low, 0, 4);
    new CounterRng(5n + (1n << 40n)).normalRow(address, high, 0, 4);
    expect(Array.from(high)).not.toEqual(Array.from(low));
    expect(new CounterRng(2n ** 64n - 1n).seed).toBe(2n ** 64n - 1n);
  });

  it('draws standard normals: moments and tail shares of 200,000 values', () => {
    const rng = new CounterRng(2024n);
    const rows = 200;
    const dim = 1000;
    const values = new Float64Array(rows * dim);
    for (let i = 0; i < rows; i++)
      rng.normalRow({ stream: RandomStream.initialLatent, iteration: 0, index: i }, values, i * dim, dim);
    let sum = 0;
    let sumSq = 0;
    let sumFourth = 0;
    let beyondTwo = 0;
    for (const v of values) {
      sum += v;
      sumSq += v * v;
      sumFourth += v ** 4;
      if (Math.abs(v) > 1.959964) beyondTwo++;
    }
    const n = values.length;
    // Standard errors: mean 1/√n ≈ 0.0022, variance √(2/n) ≈ 0.0032, fourth moment √(96/n) ≈ 0.022.
    expect(Math.abs(sum / n)).toBeLessThan(0.011);
    expect(Math.abs(sumSq / n - 1)).toBeLessThan(0.016);
    expect(Math.abs(sumFourth / n - 3)).toBeLessThan(0.11);
    expect(Math.abs(beyondTwo / n - 0.05)).toBeLessThan(0.0025);
  });

  it('draws centred uniforms in [−0.5, 0.5) with the right mean and variance', () => {
    const rng = new CounterRng(99n);
    const values = new Float64Array(100_000);
    for (let i = 0; i < 100; i++) {
      rng.centredUniformRow(
        { stream: RandomStream.discoWeights, iteration: 0, index: i, subindex: 2 },
        values,
        i * 1000,
        1000,
      );
    }
    let sum = 0;
    let sumSq = 0;
    let min = Infinity;
    let max = -Infinity;
    for (const v of values) {
      min = Math.min(min, v);
      max = Math.max(max, v);
      sum += v;
      sumSq += v * v;
    }
    expect(min).toBeGreaterThanOrEqual(-0.5);
    expect(min).toBeLessThan(-0.499);
    expect(max).toBeLessThan(0.5);
    expect(max).toBeGreaterThan(0.499);
    expect(Math.abs(sum / values.length)).toBeLessThan(0.005);
    expect(Math.abs(sumSq / values.length - 1 / 12)).toBeLessThan(0.002);
  });

  it('rejects seeds and addresses outside their ranges', () => {
    expect(() => parseSeed(-1)).toThrow(RangeError);
    expect(() => parseSeed(2n ** 64n)).toThrow(RangeError);
    expect(() => parseSeed('12a')).toThrow(RangeError);
    expect(() => parseSeed(1.5)).toThrow(RangeError);
    const out = new Float64Array(2);
    expect(() => new CounterRng(1n).normalRow({ ...address, index: -1 }, out, 0, 2)).toThrow(RangeError);
    expect(() => new CounterRng(1n).normalRow({ ...address, subindex: 2 ** 24 }, out, 0, 2)).toThrow(RangeError);
    // Each bound is allowed, one past it is refused with the field named.
    const rng = new CounterRng(1n);
    rng.normalRow({ ...address, index: 2 ** 32 - 1, iteration: 2 ** 32 - 1, subindex: 2 ** 24 - 1 }, out, 0, 2);
    for (const [field, edit] of [
      ['index', { index: 2 ** 32 }],
      ['iteration', { iteration: 2 ** 32 }],
      ['subindex', { subindex: 2 ** 24 }],
    ] as const) {
      expect(() => rng.normalRow({ ...address, ...edit }, out, 0, 2)).toThrow(
        `random ${field} must be an integer in [0, ${field === 'subindex' ? 2 ** 24 - 1 : 2 ** 32 - 1}], got ${Object.values(edit)[0]}`,
      );
    }
    expect(() => rng.normalRow(address, out, 0, 2 ** 33)).toThrow(
      `random row length must be an integer in [0, ${2 * (2 ** 32 - 1)}], got ${2 ** 33}`,
    );
  });
});
