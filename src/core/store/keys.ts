/**
 * Where everything lives in the object store. One file, so that a new kind of object gets a
 * prefix of its own and no two writers ever share a key by accident.
 */

/** Immutable blobs are addressed by the sha256 of their bytes, so writing one twice is harmless. */
export function contentKey(sha256: string): string {
  return `sha256/${sha256}`;
}

/** Where a registered pack keeps its files: `packs/<manifest digest>/<file>`. */
export function packPrefix(digest: string): string {
  return `packs/${digest}/`;
}

/** A file a client uploads through a presigned URL; `token` makes the key unguessable and unique. */
export function uploadKey(token: string, fileName: string): string {
  return `uploads/${token}/${fileName}`;
}

const uploadFileNamePattern = /^[A-Za-z0-9._-]{1,200}$/;
const uploadKeyPattern =
  /^uploads\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\/[A-Za-z0-9._-]{1,200}$/;

/** A name a client may give an uploaded file: no path separators, no leading dot. */
export function isUploadFileName(fileName: string): boolean {
  return uploadFileNamePattern.test(fileName) && !fileName.startsWith('.');
}

/**
 * Inputs that name an object may only name an upload (`uploadKey` with a UUID token): keys the
 * platform writes itself (checkpoints, packs, images) are never read or written by naming them.
 */
export function isUploadKey(key: string): boolean {
  return uploadKeyPattern.test(key) && !key.split('/').some((part) => part === '.' || part === '..');
}

/** The one checkpoint of a run, overwritten at every checkpoint and removed when the run ends. */
export function checkpointKey(runId: string): string {
  return `runs/${runId}/checkpoint.bin`;
}

/**
 * Every checkpoint a run stores is also kept under its iteration, never overwritten and never
 * removed, so that a verification can re-run the trajectory between two of them
 * (docs/provenance.md, "Verification").
 */
export function keptCheckpointKey(runId: string, iteration: number): string {
  return `runs/${runId}/checkpoints/${iteration}.bin`;
}

/** A shard's kept checkpoint at one iteration (see keptCheckpointKey). */
export function keptShardCheckpointKey(runId: string, shardIndex: number, iteration: number): string {
  return `runs/${runId}/shards/${shardIndex}/checkpoints/${iteration}.bin`;
}

/** Where a run's kept checkpoints (its own and its shards') live: every one starts with this. */
export function runPrefix(runId: string): string {
  return `runs/${runId}/`;
}

const keptCheckpointPattern = /^runs\/[0-9a-f-]{36}\/(?:shards\/(\d+)\/)?checkpoints\/(\d+)\.bin$/;

/** The shard (null for a Langevin run's own) and iteration of a kept checkpoint's key; undefined for any other key. */
export function parseKeptCheckpointKey(key: string): { shardIndex: number | null; iteration: number } | undefined {
  const match = keptCheckpointPattern.exec(key);
  if (!match) return undefined;
  return { shardIndex: match[1] === undefined ? null : Number(match[1]), iteration: Number(match[2]) };
}

/** Everything of one gallery (its face images); deleteGallery removes the whole prefix. */
export function galleryPrefix(galleryId: string): string {
  return `galleries/${galleryId}/`;
}

/** A gallery's face image kept for review, by its row. */
export function galleryImageKey(galleryId: string, row: number): string {
  return `${galleryPrefix(galleryId)}images/${row}.png`;
}

/** The one checkpoint of a shard of a Dispersion or DisCo run, removed when the shard succeeds. */
export function shardCheckpointKey(runId: string, shardIndex: number): string {
  return `runs/${runId}/shards/${shardIndex}/checkpoint.bin`;
}

/** What an unfinished dataset export has saved so far (checkpoint and spool parts), removed when it ends. */
export function exportWorkPrefix(exportId: string): string {
  return `exports/${exportId}/`;
}

/** An unfinished export's checkpoint: how many images its saved spool parts hold, and its format's state. */
export function exportCheckpointKey(exportId: string): string {
  return `${exportWorkPrefix(exportId)}checkpoint.json`;
}

/** Part `index` of an unfinished export's spool: the bytes it wrote between two checkpoints. */
export function exportSpoolPartKey(exportId: string, index: number): string {
  return `${exportWorkPrefix(exportId)}spool-${index.toString().padStart(6, '0')}`;
}

export type RunFileKind = 'latents' | 'embeddings';

/** A finished run's latents or embeddings as one little-endian float32 file, one row per identity or sample. */
export function runExportKey(runId: string, kind: RunFileKind): string {
  return `runs/${runId}/${kind}.f32`;
}
