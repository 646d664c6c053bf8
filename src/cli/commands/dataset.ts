import cliProgress from 'cli-progress';
import { Command, Option } from 'commander';
import { createDataset, downloadExport, exportState, startExport, waitForExport } from '../datasetClient.js';
import { apiClient, withApiOptions, type ApiFlags } from './apiOptions.js';

interface ExportFlags extends ApiFlags {
  format: string;
  crop: string;
  content: string;
  shardSize?: string;
  out?: string;
}

function bar(unit: string): cliProgress.SingleBar {
  return new cliProgress.SingleBar(
    { format: `{task} |{bar}| {value}/{total} ${unit}`, hideCursor: true, stream: process.stderr },
    cliProgress.Presets.shades_classic,
  );
}

function createCommand(): Command {
  return withApiOptions(
    new Command('create')
      .description('freeze the identities and samples of SUCCEEDED runs into a named, immutable dataset')
      .argument('<name>', 'dataset name')
      .argument('<runIds...>', 'Langevin, Dispersion or DisCo runs'),
  ).action(async (name: string, runIds: string[], flags: ApiFlags) => {
    const client = apiClient(flags);
    try {
      const dataset = await createDataset(client, name, runIds);
      process.stdout.write(
        `dataset ${dataset.name}: id ${dataset.id}, ${dataset.identityCount} identities, ${dataset.sampleCount} ` +
          `samples, digest ${dataset.digest}\n`,
      );
    } finally {
      await client.close();
    }
  });
}

async function download(state: Awaited<ReturnType<typeof exportState>>, path: string): Promise<void> {
  const progress = bar('bytes');
  progress.start(state.size ?? 0, 0, { task: 'download' });
  try {
    await downloadExport(state, path, (bytes) => progress.increment(bytes));
  } finally {
    progress.stop();
  }
  process.stdout.write(`${path} written (${state.size} bytes, sha256 ${state.sha256})\n`);
}

function exportCommand(): Command {
  return withApiOptions(
    new Command('export')
      .description("export a dataset in a trainer's format, with a progress bar; --out also downloads it")
      .argument('<datasetId>', 'the dataset')
      .addOption(
        new Option('--format <format>', 'archive layout')
          .choices(['IMAGE_FOLDER', 'INSIGHTFACE_REC', 'WEBDATASET'])
          .default('IMAGE_FOLDER'),
      )
      .addOption(
        new Option('--crop <crop>', 'aligned recognizer crops or full generator images')
          .choices(['ALIGNED', 'FULL'])
          .default('ALIGNED'),
      )
      .addOption(
        new Option('--content <content>', 'which images').choices(['IDENTITIES', 'SAMPLES', 'BOTH']).default('SAMPLES'),
      )
      .option('--shard-size <n>', 'WEBDATASET: images per tar shard')
      .option('--out <file>', 'download the finished export to this file'),
  ).action(async (datasetId: string, flags: ExportFlags) => {
    const client = apiClient(flags);
    try {
      const options = {
        crop: flags.crop,
        content: flags.content,
        ...(flags.shardSize ? { shardSize: Number(flags.shardSize) } : {}),
      };
      const started = await startExport(client, datasetId, flags.format, options);
      const progress = bar('images');
      progress.start(started.total, 0, { task: 'export' });
      let state;
      try {
        state = await waitForExport(client, started.id, (s) => progress.update(s.done));
      } finally {
        progress.stop();
      }
      process.stdout.write(
        `export ${state.id} SUCCEEDED: ${state.total} images, ${state.size} bytes, sha256 ${state.sha256}\n`,
      );
      if (flags.out) await download(state, flags.out);
    } finally {
      await client.close();
    }
  });
}

function downloadCommand(): Command {
  return withApiOptions(
    new Command('download')
      .description('download a finished export, checking its sha256')
      .argument('<exportId>', 'the export')
      .requiredOption('--out <file>', 'file to write'),
  ).action(async (exportId: string, flags: ApiFlags & { out: string }) => {
    const client = apiClient(flags);
    try {
      await download(await exportState(client, exportId), flags.out);
    } finally {
      await client.close();
    }
  });
}

export function datasetCommand(): Command {
  return new Command('dataset')
    .description('datasets: freeze runs into a dataset, export it for a face-recognition trainer, download an export')
    .addCommand(createCommand())
    .addCommand(exportCommand())
    .addCommand(downloadCommand());
}
