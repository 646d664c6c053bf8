import { readFile } from 'node:fs/promises';
import { Command, InvalidArgumentError } from 'commander';
import type { CheckTarget } from '../../../services/worker/src/pack/check.js';

interface PackCheckFlags {
  generator?: string;
  recognizer?: string;
  mapping?: string;
  reference?: string;
  batch: number;
  json?: boolean;
}

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

export function packCheckCommand(): Command {
  return new Command('check')
    .description(
      'load a model pack (or a generator and a recognizer), list their ops and whether each has a gradient, time ' +
        'forward and forward+VJP, check the VJP against finite differences and, with --reference, against torch ' +
        'outputs and VJPs; exit 1 unless all passes',
    )
    .argument('[pack-dir]', 'model pack folder (with manifest.json)')
    .option('--generator <file>', 'generator ONNX file (w -> image), instead of a pack')
    .option('--recognizer <file>', 'recognizer ONNX file (image -> embedding), instead of a pack')
    .option('--mapping <file>', 'mapping ONNX file (z -> w); without it latents are drawn in w directly')
    .option('--reference <file>', 'reference.json with inputs, outputs and torch VJPs to compare against')
    .option('--batch <n>', 'batch size of the timing runs', positiveInteger, 8)
    .option('--json', 'print the report as JSON')
    .action(async (packDir: string | undefined, flags: PackCheckFlags) => {
      // Loaded on use, so that other commands (`brownian serve`) never load onnxruntime.
      const [{ checkModels }, { formatCheckReport }, { parseReference }, { deviceRequestFromEnv }] = await Promise.all([
        import('../../../services/worker/src/pack/check.js'),
        import('../../../services/worker/src/pack/checkFormat.js'),
        import('../../../services/worker/src/pack/referenceData.js'),
        import('../../../services/worker/src/runtime/executionProvider.js'),
      ]);
      const reference = flags.reference ? parseReference(await readFile(flags.reference, 'utf8')) : undefined;
      const usage = (message: string): void => {
        process.stderr.write(`pack check: ${message}\n`);
        process.exitCode = 2;
      };
      let target: CheckTarget;
      if (packDir !== undefined) {
        if (flags.generator || flags.recognizer || flags.mapping)
          return usage('give either a pack folder or --generator/--recognizer, not both');
        target = { pack: packDir };
      } else {
        if (!flags.generator || !flags.recognizer)
          return usage('give a pack folder, or both --generator and --recognizer');
        target = {
          models: {
            generator: await readFile(flags.generator),
            recognizer: await readFile(flags.recognizer),
            mapping: flags.mapping ? await readFile(flags.mapping) : undefined,
            wAvg: reference?.wAvg?.data,
          },
        };
      }
      const report = await checkModels(target, { batch: flags.batch, reference, device: deviceRequestFromEnv() });
      process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : formatCheckReport(report));
      process.exitCode = report.passed ? 0 : 1;
    });
}
