import { Command } from 'commander';
import { buildMiniPack } from '../../../services/worker/src/pack/builtin/miniPack.js';

export function packBuildMiniCommand(): Command {
  return new Command('build-mini')
    .description(
      'write the built-in model pack (small generator and recognizer built from a fixed seed, no download) into <dir>',
    )
    .argument('<dir>', 'folder to write the pack into (created if missing)')
    .action(async (dir: string) => {
      const pack = await buildMiniPack(dir);
      process.stdout.write(`${pack.manifest.name} written to ${dir}\npack digest ${pack.digest}\n`);
    });
}
