import type { PackManifest } from './manifest.js';
import type { PackSource } from './packSource.js';

/** What a verified pack is: its manifest and the digest it is registered under. */
export interface VerifiedPack {
  manifest: PackManifest;
  digest: string;
}

/**
 * Checks every file of a pack, models included, and says what the pack is; throws a PackError
 * naming the manifest field at fault. The composition root supplies it, so that the API's code
 * never imports the worker's model runtime.
 */
export type PackVerifier = (source: PackSource) => Promise<VerifiedPack>;
