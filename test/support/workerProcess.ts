import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { getCurrentTest } from 'vitest/suite';
import { packageRoot } from '../../src/core/paths.js';

export interface WorkerProcess {
  child: ChildProcess;
  output(): string;
  /** Resolves with the exit code (or signal name) once the process has ended. */
  exited: Promise<number | string>;
}

/** `brownian worker` as a separate OS process, as on an extra host: it only knows the shared servers. */
export function spawnWorker(env: Record<string, string>): WorkerProcess {
  const child = spawn(process.execPath, [join(packageRoot, 'bin', 'brownian.js'), 'worker'], {
    env: { ...process.env, ...env, BROWNIAN_DEVICE: 'cpu', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | string>((resolveExit) =>
    child.once('exit', (code, signal) => resolveExit(code ?? signal ?? -1)),
  );
  return { child, output: () => output, exited };
}

/** Time kept back from the test's own limit, so that waitFor's failure is the one reported. */
const reportMarginMs = 3_000;

/**
 * The wait a test can still afford: `timeoutMs`, cut to what is left of the running test's vitest
 * timeout, so that a wait that runs out names what it waited for instead of vitest's bare
 * "Test timed out". Outside a test (hooks) the hook timeout applies and `timeoutMs` is kept.
 */
function affordableWait(timeoutMs: number): number {
  const test = getCurrentTest();
  const startedAt = test?.result?.startTime;
  if (!test?.timeout || startedAt === undefined) return timeoutMs;
  return Math.max(0, Math.min(timeoutMs, startedAt + test.timeout - reportMarginMs - Date.now()));
}

export async function waitFor<T>(
  probe: () => Promise<T | undefined | null | false>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const limitMs = affordableWait(timeoutMs);
  const deadline = Date.now() + limitMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) {
      const cut = limitMs < timeoutMs ? ` (cut from ${timeoutMs} ms to fit the test's timeout)` : '';
      throw new Error(`timed out after ${limitMs} ms${cut} waiting for ${what}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}
