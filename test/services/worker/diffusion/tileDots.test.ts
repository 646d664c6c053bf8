import { describe, expect, it } from 'vitest';
import { tileDots } from '../../../../services/worker/src/diffusion/tileDots.js';
import { randomArray } from './analyticModel.js';

describe('tileDots', () => {
  const dim = 7;
  const a = randomArray(11 * dim, 1);
  const b = randomArray(9 * dim, 2);

  it.each([
    [0, 11, 0, 9],
    [2, 7, 3, 8],
    [3, 4, 0, 1],
    [1, 10, 4, 9],
  ])(
    'gives a_i·b_j for rows [%i, %i) and columns [%i, %i), odd sizes included',
    (rowStart, rowEnd, colStart, colEnd) => {
      const cols = colEnd - colStart;
      const out = new Float64Array((rowEnd - rowStart) * cols).fill(Number.NaN);
      tileDots(a, rowStart, rowEnd, b, colStart, colEnd, dim, out);
      for (let i = rowStart; i < rowEnd; i++) {
        for (let j = colStart; j < colEnd; j++) {
          let expected = 0;
          for (let d = 0; d < dim; d++) expected += a[i * dim + d]! * b[j * dim + d]!;
          expect(out[(i - rowStart) * cols + (j - colStart)]).toBeCloseTo(expected, 14);
        }
      }
    },
  );
});
