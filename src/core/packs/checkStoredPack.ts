import { createHash } from 'node:crypto';
import type { ObjectStore } from '../store/objectStore.js';
import { manifestFileName, packDigest, packFiles, parseManifest, type PackManifest } from './manifest.js';
import { PackError } from './PackError.js';

/** A manifest is a few kilobytes; anything far larger is not one. */
const maxManifestBytes = 1024 * 1024;

export interface CheckedPackFiles {
  manifest: PackManifest;
  digest: string;
}

async function sha256Of(store: ObjectStore, key: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of await store.getStream(key)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * What can be checked of a pack without running it: the manifest against its JSON Schema, that
 * every file it names was uploaded, is not empty, has the size its role implies (float32 vectors
 * of latentDim) and the sha256 the manifest says (streamed, never held in memory). The models
 * themselves are a worker's to check (docs/model-packs.md, "Registration"). `keyOf` maps a
 * pack file to the object key it was uploaded to. Throws a PackError naming the manifest field.
 */
export async function checkStoredPack(
  store: ObjectStore,
  keyOf: (file: string) => string | undefined,
): Promise<CheckedPackFiles> {
  const manifestKey = keyOf(manifestFileName);
  const manifestSize = manifestKey === undefined ? undefined : await store.size(manifestKey);
  if (manifestKey === undefined || manifestSize === undefined)
    throw new PackError('manifest-missing', manifestFileName, 'was not uploaded');
  if (manifestSize > maxManifestBytes)
    throw new PackError(
      'manifest-invalid',
      manifestFileName,
      `has ${manifestSize} bytes; a manifest has at most ${maxManifestBytes}`,
    );
  const manifest = parseManifest((await store.getBytes(manifestKey)).toString('utf8'));
  const vectorBytes = manifest.latentDim * 4;
  for (const { field, file, sha256 } of packFiles(manifest)) {
    const key = keyOf(file);
    const size = key === undefined ? undefined : await store.size(key);
    if (key === undefined || size === undefined)
      throw new PackError('file-missing', `${field}.file`, `"${file}" was not uploaded`);
    if (size === 0) throw new PackError('model-unreadable', `${field}.file`, `"${file}" is empty`);
    const isVector = field === 'wAvg' || field.startsWith('covariates[');
    if (isVector && size !== vectorBytes) {
      throw new PackError(
        'vector-invalid',
        `${field}.file`,
        `holds ${size} bytes; expected ${manifest.latentDim} float32 values (${vectorBytes} bytes)`,
      );
    }
    const actual = await sha256Of(store, key);
    if (actual !== sha256)
      throw new PackError(
        'digest-mismatch',
        `${field}.sha256`,
        `does not match file contents ("${file}" has sha256 ${actual})`,
      );
  }
  return { manifest, digest: packDigest(manifest) };
}
