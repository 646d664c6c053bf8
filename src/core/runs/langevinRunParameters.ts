import type { LangevinParams } from './langevinParams.js';

/** Run.parameters of a Langevin run: written by the API after validation, read by the worker. */
export interface LangevinRunParameters {
  numIdentities: number;
  checkpointEvery: number;
  /** Object key of float32 N×W latents to start from, instead of sampling them. */
  initialLatents: string | null;
  exclusionGalleryId: string | null;
  langevin: LangevinParams;
}
