import { Command, InvalidArgumentError } from 'commander';
import { pushGallery } from '../galleryPush.js';
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
        'upload a gallery of real-face embeddings (raw float32 N×dim, or NumPy .npy) and register it; needs an AUDITOR or ADMIN key',
      )
      .argument('<embeddings>', 'float32 embeddings file: .npy, or raw little-endian with --dim and --count')
      .requiredOption('--name <name>', 'gallery name')
      .option('--dim <n>', 'embedding length (raw files)', positiveInteger)
      .option('--count <n>', 'number of embeddings (raw files)', positiveInteger)
      .option('--labels <file>', 'subject labels, one per line in row order (default: row numbers)')
      .option('--pack <id>', 'the model pack whose recognizer made the embeddings')
      .option('--recognizer <sha256>', 'or the sha256 of that recognizer file'),
  ).action(async (embeddings: string, flags: GalleryPushFlags) => {
    const client = apiClient(flags);
    try {
      const gallery = await pushGallery(client, embeddings, {
        name: flags.name,
        embeddingDim: flags.dim,
        count: flags.count,
        labelsFile: flags.labels,
        modelPackId: flags.pack,
        recognizerDigest: flags.recognizer,
      });
      process.stdout.write(
        `gallery ${flags.name} registered: id ${gallery.id}, ${gallery.subjectCount} embeddings of dimension ${gallery.embeddingDim}, recognizer ${gallery.recognizerDigest}\n`,
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
