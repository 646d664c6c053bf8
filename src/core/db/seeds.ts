/**
 * Seeds are unsigned 64-bit, Postgres `bigint` is signed: the column holds the same 64 bits read
 * as two's complement, so seeds from 2⁶³ to 2⁶⁴−1 are stored as negative numbers. Every write and
 * read of `Run.seed` goes through these two functions.
 */
export function seedToColumn(seed: bigint): bigint {
  return BigInt.asIntN(64, seed);
}

export function seedFromColumn(column: bigint): bigint {
  return BigInt.asUintN(64, column);
}
