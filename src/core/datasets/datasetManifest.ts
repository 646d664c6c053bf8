import { canonicalJson, sha256Hex } from '../packs/manifest.js';
import type { RunKind } from '../../generated/prisma/enums.js';

export const datasetFormat = 'brownian-dataset/1';

export interface ManifestSample {
  id: string;
  runId: string;
  variation: number;
  /** sha256 of the sample's PNG image, as stored. */
  sha256: string;
}

export interface ManifestIdentity {
  /** Class label in the dataset and in every export of it. */
  label: number;
  id: string;
  runId: string;
  /** Index of the identity in its Langevin run. */
  index: number;
  /** sha256 of the identity's reference PNG image. */
  sha256: string;
  samples: ManifestSample[];
}

export interface ManifestRun {
  id: string;
  kind: RunKind;
  modelPackDigest: string;
  parentRunId: string | null;
}

/**
 * What a dataset holds, identity → samples, each image by its sha256. The dataset digest is the
 * sha256 of this manifest as canonical JSON (keys sorted, no whitespace), which is also the exact
 * text of the manifest file in the store and in every export: anyone can recompute it.
 */
export interface DatasetManifest {
  format: typeof datasetFormat;
  runs: ManifestRun[];
  identities: ManifestIdentity[];
}

export function manifestText(manifest: DatasetManifest): string {
  return canonicalJson(manifest);
}

export function datasetDigest(manifest: DatasetManifest): string {
  return sha256Hex(manifestText(manifest));
}
