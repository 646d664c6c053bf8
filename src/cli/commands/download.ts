import { Command } from 'commander';
import { downloadRun } from '../runDownload.js';
import { apiClient, withApiOptions, type ApiFlags } from './apiOptions.js';

interface DownloadFlags extends ApiFlags {
  out: string;
}

export function downloadCommand(): Command {
  return withApiOptions(
    new Command('download')
      .description("download a succeeded run's identity images, latents and embeddings through presigned URLs")
      .argument('<runId>', 'the run')
      .option('--out <dir>', 'folder to write <runId>/ into', '.'),
  ).action(async (runId: string, flags: DownloadFlags) => {
    const client = apiClient(flags);
    try {
      const { directory, images } = await downloadRun(client, runId, flags.out);
      process.stdout.write(`${images} images, latents.f32 and embeddings.f32 written to ${directory}\n`);
    } finally {
      await client.close();
    }
  });
}
