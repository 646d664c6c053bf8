import type { PackSource } from '../packs/packSource.js';
import type { ObjectStore } from './objectStore.js';

/**
 * A model pack read straight from the object store: `keyOf` says under which key each pack file
 * lies (a registered pack's prefix, or the keys a user uploaded to).
 */
export function storePackSource(
  store: ObjectStore,
  location: string,
  keyOf: (file: string) => string | undefined,
): PackSource {
  return {
    location,
    async read(file) {
      const key = keyOf(file);
      if (key === undefined || !(await store.exists(key))) return null;
      return store.getBytes(key);
    },
  };
}
