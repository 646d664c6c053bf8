import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Where the files of a pack come from: a folder, or bytes already fetched (e.g. from the object store). */
export interface PackSource {
  /** For messages: the folder, or what the bytes came from. */
  readonly location: string;
  /** The bytes of `file` (a '/'-separated path inside the pack), or null when there is no such file. */
  read(file: string): Promise<Uint8Array | null>;
}

export function directorySource(dir: string): PackSource {
  return {
    location: dir,
    async read(file) {
      try {
        return await readFile(join(dir, ...file.split('/')));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw error;
      }
    },
  };
}

export function memorySource(files: ReadonlyMap<string, Uint8Array>, location = 'in-memory pack'): PackSource {
  return {
    location,
    async read(file) {
      return files.get(file) ?? null;
    },
  };
}
