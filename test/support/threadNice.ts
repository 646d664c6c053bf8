import { readdir, readFile } from 'node:fs/promises';

/** The nice value of each thread of a process, by thread id (`/proc/<pid>/task/<tid>/stat`, field 19). */
export async function threadNiceValues(pid: number): Promise<Map<number, number>> {
  const values = new Map<number, number>();
  for (const tid of await readdir(`/proc/${pid}/task`)) {
    const stat = await readFile(`/proc/${pid}/task/${tid}/stat`, 'utf8').catch(() => undefined);
    if (stat) values.set(Number(tid), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]));
  }
  return values;
}
