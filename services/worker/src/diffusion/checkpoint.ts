/**
 * Langevin checkpoints as bytes. The random numbers are addressed by (seed, iteration), so the
 * latents, the iteration and the seed are the whole state: a run resumed from a checkpoint is
 * bit-identical to one that was never interrupted.
 *
 * Layout, little-endian:
 *   0  8 bytes  magic "BRWNLGV\0"
 *   8  u32      format version (1)
 *  12  u32      iteration (steps done)
 *  16  u64      seed
 *  24  u32      count
 *  28  u32      latentDim
 *  32  f32 × count × latentDim  latents, row-major
 */
import type { LangevinState } from './langevin.js';

const MAGIC = new Uint8Array([0x42, 0x52, 0x57, 0x4e, 0x4c, 0x47, 0x56, 0x00]);
export const CHECKPOINT_VERSION = 1;
const HEADER_BYTES = 32;

export interface LangevinCheckpoint {
  state: LangevinState;
  seed: bigint;
}

export function encodeCheckpoint(checkpoint: LangevinCheckpoint): Uint8Array {
  const { state, seed } = checkpoint;
  const { count, latentDim, latents, iteration } = state;
  if (latents.length !== count * latentDim)
    throw new RangeError(`expected ${count} × ${latentDim} latents, got ${latents.length}`);
  const bytes = new Uint8Array(HEADER_BYTES + latents.length * 4);
  const view = new DataView(bytes.buffer);
  bytes.set(MAGIC, 0);
  view.setUint32(8, CHECKPOINT_VERSION, true);
  view.setUint32(12, iteration, true);
  view.setBigUint64(16, seed, true);
  view.setUint32(24, count, true);
  view.setUint32(28, latentDim, true);
  for (let k = 0; k < latents.length; k++) view.setFloat32(HEADER_BYTES + 4 * k, latents[k]!, true);
  return bytes;
}

export function decodeCheckpoint(bytes: Uint8Array): LangevinCheckpoint {
  if (bytes.length < HEADER_BYTES)
    throw new RangeError(`checkpoint of ${bytes.length} bytes is shorter than its header`);
  for (let k = 0; k < MAGIC.length; k++) {
    if (bytes[k] !== MAGIC[k]) throw new RangeError('not a Langevin checkpoint (bad magic)');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(8, true);
  if (version !== CHECKPOINT_VERSION) throw new RangeError(`unsupported checkpoint version ${version}`);
  const iteration = view.getUint32(12, true);
  const seed = view.getBigUint64(16, true);
  const count = view.getUint32(24, true);
  const latentDim = view.getUint32(28, true);
  const expected = HEADER_BYTES + count * latentDim * 4;
  if (bytes.length !== expected) {
    throw new RangeError(
      `checkpoint of ${count} × ${latentDim} latents should be ${expected} bytes, got ${bytes.length}`,
    );
  }
  const latents = new Float32Array(count * latentDim);
  for (let k = 0; k < latents.length; k++) latents[k] = view.getFloat32(HEADER_BYTES + 4 * k, true);
  return { state: { count, latentDim, latents, iteration }, seed };
}
