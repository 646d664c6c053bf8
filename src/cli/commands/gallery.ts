import { Command, InvalidArgumentError } from 'commander';
import { isFolder } from '../faceArchive.js';
import { pushGallery, pushImageGallery } from '../galleryPush.js';
import { apiClient, withApiOptions, type ApiFlags } from './apiOptions.js';

interface GalleryPushFlags extends ApiFlags {
  name: string;
  dim?: number;
  count?: number;
  labels?: string;
  pack?: string;
  recognizer?: string;
}

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

function galleryPushCommand(): Command {
  return withApiOptions(
    new Command('push')
      .description(
        'upload a gallery of real faces and register it: embeddings (raw float32 N×dim, or NumPy .npy), or face images ' +
          '(a folder, or a .tar, of PNGs as subject/image.png) that a worker embeds with --pack; needs an AUDITOR or ADMIN key',
      )
      .argument(
        '<embeddings|images>',
        'float32 embeddings file (.npy, or raw little-endian with --dim and --count), or a folder or .tar of PNG faces',
      )
      .requiredOption('--name <name>', 'gallery name')
      .option('--dim <n>', 'embedding length (raw files)', positiveInteger)
      .option('--count <n>', 'number of embeddings (raw files)', positiveInteger)
      .option(
        '--labels <file>',
        'subject labels, one per line in row order (default: row numbers; for images, the folder of each image)',
      )
      .option('--pack <id>', 'the model pack whose recognizer made the embeddings')
      .option('--recognizer <sha256>', 'or the sha256 of that recognizer file'),
  ).action(async (embeddings: string, flags: GalleryPushFlags) => {
    const client = apiClient(flags);
    try {
      if ((await isFolder(embeddings)) || /\.tar$/i.test(embeddings)) {
        if (!flags.pack) throw new InvalidArgumentError('face images are embedded by a READY pack: give --pack <id>');
        const gallery = await pushImageGallery(
          client,
          embeddings,
          { name: flags.name, labelsFile: flags.labels, modelPackId: flags.pack },
          (id) => process.stderr.write(`gallery ${id} PENDING: a worker is embedding the images\n`),
        );
        process.stdout.write(
          `gallery ${flags.name} registered: id ${gallery.id}, ${gallery.subjectCount} faces embedded ` +
            `to dimension ${gallery.embeddingDim}, recognizer ${gallery.recognizerDigest}\n`,
        );
        return;
      }
      const gallery = await pushGallery(client, embeddings, {
        name: flags.name,
        embeddingDim: flags.dim,
        count: flags.count,
        labelsFile: flags.labels,
        modelPackId: flags.pack,
        recognizerDigest: flags.recognizer,
      });
      process.stdout.write(
        `gallery ${flags.name} registered: id ${gallery.id}, ${gallery.subjectCount} embeddings of dimension ` +
          `${gallery.embeddingDim}, recognizer ${gallery.recognizerDigest}\n`,
      );
    } finally {
      await client.close();
    }
  });
}

export function galleryCommand(): Command {
  return new Command('gallery')
    .description('galleries of real faces for leakage audits')
    .addCommand(galleryPushCommand());
}
