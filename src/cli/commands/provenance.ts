import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Command, Option } from 'commander';
import { downloadExport } from '../datasetClient.js';
import { requestProvenance, waitForProvenance, type ProvenanceFormatName } from '../provenanceClient.js';
import { apiClient, withApiOptions, type ApiFlags } from './apiOptions.js';

interface ProvenanceFlags extends ApiFlags {
  format: 'json' | 'provn';
  out?: string;
}

const formats: Record<ProvenanceFlags['format'], ProvenanceFormatName> = { json: 'PROV_JSON', provn: 'PROV_N' };

/** Progress on stderr, so that the document itself can go to stdout. */
function report(line: string): void {
  process.stderr.write(process.stderr.isTTY ? `\r${line}\u001b[K` : `${line}\n`);
}

export function provenanceCommand(): Command {
  return withApiOptions(
    new Command('provenance')
      .description(
        'write the W3C PROV document of a sample, identity, run, audit, export or dataset, streamed by a worker job',
      )
      .argument('<id>', 'what to describe')
      .addOption(new Option('--format <format>', 'PROV-JSON or PROV-N').choices(['json', 'provn']).default('json'))
      .option('-o, --out <file>', 'write to this file instead of stdout'),
  ).action(async (id: string, flags: ProvenanceFlags) => {
    const client = apiClient(flags);
    try {
      const started = await requestProvenance(client, id, formats[flags.format]);
      let last = '';
      const done = await waitForProvenance(client, started.id, (state) => {
        const line = `provenance of ${state.subjectKind.toLowerCase()} ${id}: ${state.status}, ${state.statements} statements`;
        if (line !== last) report(line);
        last = line;
      });
      if (process.stderr.isTTY) process.stderr.write('\n');
      if (flags.out) {
        await downloadExport(done, flags.out, () => undefined);
        process.stderr.write(`${flags.out} written (${done.size} bytes, sha256 ${done.sha256})\n`);
        return;
      }
      const dir = await mkdtemp(join(tmpdir(), 'brownian-provenance-'));
      try {
        const path = join(dir, 'document');
        await downloadExport(done, path, () => undefined);
        await pipeline(createReadStream(path), process.stdout, { end: false });
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    } finally {
      await client.close();
    }
  });
}
