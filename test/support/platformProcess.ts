import { spawn, type ChildProcess } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { packageRoot } from '../../src/core/paths.js';

export interface PlatformProcess {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | string>;
  /** Resolves with the GraphQL URL once the API serves and the worker runs. */
  ready: Promise<string>;
}

/** `brownian <command>` as a user runs it, on the embedded default under `dataDir`. */
export function spawnPlatform(dataDir: string, env: Record<string, string> = {}, command = 'start'): PlatformProcess {
  const childEnv: Record<string, string | undefined> = {
    ...process.env,
    BROWNIAN_DATA_DIR: dataDir,
    PORT: '0',
    LOG_LEVEL: 'warn',
    ...env,
  };
  for (const name of ['DATABASE_URL', 'S3_ENDPOINT', 'S3_ACCESS_KEY', 'S3_SECRET_KEY', 'S3_BUCKET', 'NODE_ENV'])
    delete childEnv[name];
  const child = spawn(process.execPath, [join(packageRoot, 'bin', 'brownian.js'), command], {
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<number | string>((resolveExit) =>
    child.once('exit', (code, signal) => resolveExit(code ?? signal ?? -1)),
  );
  const ready = new Promise<string>((resolveUrl, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /GraphQL API: (http:\/\/\S+)/.exec(output);
      if (match && output.includes('Worker running')) resolveUrl(match[1]!);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void exited.then((code) => reject(new Error(`brownian ${command} exited (${code}) before serving:\n${output}`)));
  });
  ready.catch(() => undefined);
  return { child, output: () => output, exited, ready };
}

/** PIDs of the processes whose command line names `path` (a data folder): what a stop must leave none of. */
export async function processesNaming(path: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    const zombie = stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
    if (!zombie && cmdline.split('\0').some((arg) => arg.startsWith(path))) pids.push(Number(entry));
  }
  return pids;
}

/** PID and port of the embedded PostgreSQL, from the lock file it writes while it runs. */
export async function postmasterOf(
  dataDir: string,
): Promise<{ pid: number; port: number; lockFile: string; text: string }> {
  const lockFile = join(dataDir, 'postgres', 'postmaster.pid');
  const text = await readFile(lockFile, 'utf8');
  const lines = text.split('\n');
  return { pid: Number(lines[0]), port: Number(lines[3]), lockFile, text };
}
