const UINT64_LIMIT = 1n << 64n;

/** Seeds are unsigned 64-bit integers (the API takes them as decimal strings). */
export function parseSeed(seed: bigint | number | string): bigint {
  let value: bigint;
  if (typeof seed === 'bigint') {
    value = seed;
  } else if (typeof seed === 'number') {
    if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
    value = BigInt(seed);
  } else {
    if (!/^[0-9]+$/.test(seed)) throw new RangeError(`seed must be a decimal unsigned integer, got "${seed}"`);
    value = BigInt(seed);
  }
  if (value < 0n || value >= UINT64_LIMIT) throw new RangeError(`seed must be in [0, 2^64), got ${value}`);
  return value;
}
