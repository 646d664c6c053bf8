import { Command, InvalidArgumentError } from 'commander';
import { requestVerification, waitForVerification } from '../verificationClient.js';
import { apiClient, withApiOptions, type ApiFlags } from './apiOptions.js';

interface VerifyFlags extends ApiFlags {
  samples: number;
  segments?: number;
}

function wholeNumber(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be a whole number');
  return n;
}

export function verifyCommand(): Command {
  return withApiOptions(
    new Command('verify')
      .description(
        'have a worker re-derive a sample or identity, a run (its trajectory from the seed and kept checkpoints) or a ' +
          'dataset, and check every digest; exits 1 when something differs',
      )
      .argument('<id>', 'a sample, identity, run or dataset')
      .option('--samples <n>', 'dataset members to re-derive', wholeNumber, 100)
      .option(
        '--segments <n>',
        "trajectory segments re-run per run (a run: all of them by default; a dataset: each of its runs', none by default)",
        wholeNumber,
      ),
  ).action(async (id: string, flags: VerifyFlags) => {
    const client = apiClient(flags);
    try {
      const started = await requestVerification(client, id, {
        samples: flags.samples,
        segments: flags.segments ?? null,
      });
      let last = '';
      const done = await waitForVerification(client, started.id, (state) => {
        const line = `verification of ${state.subjectKind.toLowerCase()} ${id}: ${state.status}, ${state.checked} checked`;
        if (line !== last) process.stderr.write(`${line}\n`);
        last = line;
      });
      for (const check of done.results.filter((c) => !c.matches)) {
        process.stdout.write(`MISMATCH ${check.object} ${check.location}: ${check.problem ?? 'differs'}\n`);
      }
      const objects = done.results.length;
      process.stdout.write(
        done.verified
          ? `verified: all ${objects} objects match\n`
          : `NOT verified: ${done.mismatches} of ${objects} objects differ\n`,
      );
      process.exitCode = done.verified ? 0 : 1;
    } finally {
      await client.close();
    }
  });
}
