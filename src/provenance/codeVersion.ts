import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../core/paths.js';

function gitCommit(): string | undefined {
  try {
    const head = readFileSync(join(packageRoot, '.git', 'HEAD'), 'utf8').trim();
    if (!head.startsWith('ref: ')) return head.slice(0, 12);
    const ref = head.slice(5);
    try {
      return readFileSync(join(packageRoot, '.git', ref), 'utf8')
        .trim()
        .slice(0, 12);
    } catch {
      const packed = readFileSync(join(packageRoot, '.git', 'packed-refs'), 'utf8');
      return packed
        .split('\n')
        .find((line) => line.endsWith(` ${ref}`))
        ?.slice(0, 12);
    }
  } catch {
    return undefined;
  }
}

/**
 * Recorded on every run: the package version plus the git commit when running from a checkout.
 * Images set BROWNIAN_CODE_VERSION at build time, since they carry no .git folder.
 */
export const codeVersion: string = (() => {
  if (process.env.BROWNIAN_CODE_VERSION) return process.env.BROWNIAN_CODE_VERSION;
  const { version } = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string };
  const commit = gitCommit();
  return commit ? `${version}+${commit}` : version;
})();
