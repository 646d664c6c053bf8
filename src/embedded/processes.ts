import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';

export interface ProcessInfo {
  parentPid: number;
  /** A zombie ('Z') has exited and waits for its parent to read its status. */
  zombie: boolean;
  /** The command line, arguments separated by spaces. */
  command: string;
}

export function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, owned by another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Parent and command line of a process, from /proc on Linux and `ps` elsewhere; undefined when it is gone. */
export async function processInfo(pid: number): Promise<ProcessInfo | undefined> {
  try {
    const [stat, cmdline] = await Promise.all([
      readFile(`/proc/${pid}/stat`, 'utf8'),
      readFile(`/proc/${pid}/cmdline`, 'utf8'),
    ]);
    // The command name (field 2) is in parentheses and may hold spaces; the parent PID follows the state.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { parentPid: Number(fields[1]), zombie: fields[0] === 'Z', command: cmdline.split('\0').join(' ').trim() };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || process.platform === 'linux') return undefined;
  }
  try {
    const { stdout } = await promisify(execFile)('ps', ['-o', 'ppid=,state=,command=', '-p', String(pid)]);
    const match = /^\s*(\d+)\s+(\S+)\s+(.*)$/.exec(stdout.trim());
    return match ? { parentPid: Number(match[1]), zombie: match[2]!.startsWith('Z'), command: match[3]! } : undefined;
  } catch {
    return undefined;
  }
}

/** Polls until the process is gone: a process that is not our child gives no exit event. */
export async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (processIsAlive(pid) && !(await processInfo(pid))?.zombie) {
    if (Date.now() > deadline) return false;
    await new Promise((resolveDelay) => setTimeout(resolveDelay, 100));
  }
  return true;
}
