/** Static-shape arithmetic shared by the gradient rules. */

export function product(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

export function normalizeAxis(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new Error(`axis ${axis} is out of range for rank ${rank}`);
  return a;
}

export function range(n: number, start = 0): number[] {
  return Array.from({ length: n }, (_, k) => start + k);
}

export function inversePermutation(perm: readonly number[]): number[] {
  const inverse = new Array<number>(perm.length);
  perm.forEach((p, k) => {
    inverse[p] = k;
  });
  return inverse;
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, k) => d === b[k]);
}

/** Numpy-style broadcast of two static shapes. */
export function broadcastShape(a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  return range(rank).map((k) => {
    const da = a[k - rank + a.length] ?? 1;
    const db = b[k - rank + b.length] ?? 1;
    if (da !== db && da !== 1 && db !== 1)
      throw new Error(`shapes [${a.join(', ')}] and [${b.join(', ')}] do not broadcast`);
    return da === 1 ? db : da;
  });
}

/** Explicit begin/end pads of a convolution or pooling window along each spatial axis. */
export interface WindowPads {
  begin: number[];
  end: number[];
}

/**
 * Resolves `auto_pad` of Conv and the pooling operators to explicit pads, as ONNX defines it:
 * SAME_* keeps ceil(in / stride) outputs, the odd pixel going to the end (UPPER) or start (LOWER).
 */
export function resolveWindowPads(
  autoPad: string,
  explicitPads: readonly number[] | undefined,
  inputSpatial: readonly number[],
  kernel: readonly number[],
  strides: readonly number[],
  dilations: readonly number[],
): WindowPads {
  const n = inputSpatial.length;
  if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    const begin: number[] = [];
    const end: number[] = [];
    for (let k = 0; k < n; k += 1) {
      const out = Math.ceil(inputSpatial[k]! / strides[k]!);
      const total = Math.max(0, (out - 1) * strides[k]! + (kernel[k]! - 1) * dilations[k]! + 1 - inputSpatial[k]!);
      const small = Math.floor(total / 2);
      begin.push(autoPad === 'SAME_UPPER' ? small : total - small);
      end.push(total - begin[k]!);
    }
    return { begin, end };
  }
  if (autoPad === 'VALID') return { begin: new Array<number>(n).fill(0), end: new Array<number>(n).fill(0) };
  const pads = explicitPads ?? new Array<number>(2 * n).fill(0);
  return { begin: pads.slice(0, n), end: pads.slice(n, 2 * n) };
}
