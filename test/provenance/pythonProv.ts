import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const script = join(import.meta.dirname, 'prov_check.py');

export interface PythonProvRecord {
  kind: string;
  formal: Record<string, string>;
  attributes: Record<string, string[]>;
}

export interface PythonProvView {
  elements: Record<string, PythonProvRecord>;
  relations: PythonProvRecord[];
}

export interface ProvNComparison {
  ours: number;
  theirs: number;
  distinct: number;
  onlyOurs: string[];
  onlyTheirs: string[];
}

/** Debian's python3-prov belongs to /usr/bin/python3, not to a python3 earlier on PATH. */
async function python(args: string[], files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'brownian-prov-test-'));
  try {
    for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
    const { stdout } = await run(
      '/usr/bin/python3',
      [script, ...args.map((arg) => (arg in files ? join(dir, arg) : arg))],
      {
        env: { ...process.env, TZ: 'UTC' },
        maxBuffer: 1 << 30,
      },
    );
    return stdout;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** What python-prov understood of a PROV-JSON document; it throws on one it cannot parse. */
export async function readWithPythonProv(provJson: string): Promise<PythonProvView> {
  return JSON.parse(await python(['json', 'doc.json'], { 'doc.json': provJson })) as PythonProvView;
}

/** Our PROV-N against python-prov's PROV-N of our PROV-JSON, as sets of statements. */
export async function compareProvN(provJson: string, provN: string): Promise<ProvNComparison> {
  return JSON.parse(
    await python(['provn', 'doc.json', 'doc.provn'], { 'doc.json': provJson, 'doc.provn': provN }),
  ) as ProvNComparison;
}
