import { Command } from 'commander';
import { pushPack } from '../packPush.js';
import { apiClient, withApiOptions, type ApiFlags } from './apiOptions.js';
import { packBuildMiniCommand } from './pack-build-mini.js';
import { packCheckCommand } from './pack-check.js';

function packPushCommand(): Command {
  return withApiOptions(
    new Command('push')
      .description(
        'upload a pack folder through presigned URLs and register it (idempotent: the same pack returns its existing id)',
      )
      .argument('<dir>', 'pack folder with manifest.json'),
  ).action(async (dir: string, flags: ApiFlags) => {
    const client = apiClient(flags);
    try {
      const pack = await pushPack(client, dir);
      process.stdout.write(`model pack ${pack.name} registered: id ${pack.id}, digest ${pack.digest}\n`);
    } finally {
      await client.close();
    }
  });
}

export function packCommand(): Command {
  return new Command('pack')
    .description('model packs: build the built-in one, check exported models, push a pack to the platform')
    .addCommand(packBuildMiniCommand())
    .addCommand(packCheckCommand())
    .addCommand(packPushCommand());
}
