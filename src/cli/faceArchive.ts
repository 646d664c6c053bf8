import { createWriteStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { TarWriter } from '../../services/worker/src/exports/tarWriter.js';
import { ApiError } from './apiClient.js';

/** The .png files under `dir`, hidden ones left out, as archive paths in byte order. */
async function pngFiles(dir: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (folder: string): Promise<void> => {
    for (const entry of await readdir(folder, { withFileTypes: true })) {
      if (entry.name.startsWith('.')) continue;
      const path = join(folder, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile()) {
        if (!/\.png$/i.test(entry.name))
          throw new ApiError(`${path} is not a .png image; galleries take PNG face images only`, 'BAD_IMAGE');
        found.push(relative(dir, path).split(sep).join('/'));
      }
    }
  };
  await walk(dir);
  return found.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

/**
 * A folder of face images as one tar (subject/image.png keeps its folder as the label), in byte
 * order of the paths, so that a labels file lists the images in the order `ls -R | sort` shows.
 * Returns the image count; a folder without images is an error naming it.
 */
export async function writeFaceArchive(dir: string, tarPath: string): Promise<number> {
  const files = await pngFiles(dir);
  if (files.length === 0) throw new ApiError(`${dir} holds no .png images`, 'BAD_IMAGE');
  const tar = new TarWriter(createWriteStream(tarPath));
  for (const file of files) await tar.add(file, await readFile(join(dir, ...file.split('/'))));
  await tar.finish();
  return files.length;
}

export async function isFolder(path: string): Promise<boolean> {
  return (await stat(path)).isDirectory();
}
