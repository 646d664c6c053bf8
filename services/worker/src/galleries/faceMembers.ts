import { posix } from 'node:path';
import type { TarMember } from './tarReader.js';

/** An archive whose contents do not make a gallery, with the reason. */
export class GalleryArchiveError extends Error {}

export interface FaceMember {
  path: string;
  /** The folder holding the image (its subject label), or null at the archive's top level. */
  folder: string | null;
  bytes: Buffer;
}

/**
 * The face images of an archive, in archive order: `.png` files, the folder holding each one
 * naming its subject (`subject/image.png`). Hidden files (a leading dot, as macOS and editors
 * leave) are skipped; any other file is refused by name, so a mistaken archive fails visibly
 * rather than yielding a gallery short of some faces.
 */
export async function* faceMembers(members: AsyncIterable<TarMember>): AsyncGenerator<FaceMember> {
  for await (const member of members) {
    const path = posix.normalize(member.path.replace(/^(\.\/)+/, ''));
    const base = posix.basename(path);
    if (base.startsWith('.')) continue;
    if (path.startsWith('../') || path.startsWith('/'))
      throw new GalleryArchiveError(`${member.path} points outside the archive`);
    if (!/\.png$/i.test(base))
      throw new GalleryArchiveError(`${member.path} is not a .png image; galleries take PNG face images only`);
    const parent = posix.dirname(path);
    yield { path, folder: parent === '.' ? null : posix.basename(parent), bytes: member.bytes };
  }
}
