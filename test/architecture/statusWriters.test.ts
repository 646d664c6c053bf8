import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/core/paths.js';

/**
 * Each status column has one writer, which writes a change and announces it (NOTIFY) in one
 * transaction (docs/architecture.md). Creating a row (its first status) is not a change.
 */
const writers = [
  { table: 'Run', model: 'run', writer: 'src/core/runs/runStatusWriter.ts' },
  { table: 'ModelPack', model: 'modelPack', writer: 'src/core/packs/packLifecycle.ts' },
  { table: 'LeakageAudit', model: 'leakageAudit', writer: 'src/core/audits/auditLifecycle.ts' },
  { table: 'DatasetExport', model: 'datasetExport', writer: 'src/core/datasets/exportLifecycle.ts' },
];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'generated' ? [] : sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** Places in `text` that write the status column of `table` (SQL) or `model` (Prisma). */
export function statusWrites(text: string, table: string, model: string): string[] {
  const found: string[] = [];
  for (const match of text.matchAll(new RegExp(`UPDATE\\s+"${table}"\\s+SET\\s`, 'g'))) {
    const statement = text.slice(match.index, match.index + 400).split(/WHERE|`|;/)[0]!;
    if (/\bstatus\s*=/.test(statement)) found.push(statement.trim());
  }
  for (const match of text.matchAll(new RegExp(`\\.${model}\\.(update|updateMany|upsert)\\(`, 'g'))) {
    const call = text.slice(match.index, match.index + 600);
    const data = /data:\s*\{([^}]*)\}/.exec(call)?.[1] ?? '';
    if (/\bstatus\b/.test(data)) found.push(call.split('\n')[0]!.trim());
  }
  return found;
}

describe('status columns', () => {
  const files = [...sourceFiles(join(packageRoot, 'src')), ...sourceFiles(join(packageRoot, 'services'))];

  for (const { table, model, writer } of writers) {
    it(`of ${table} are written by ${writer} alone`, () => {
      const elsewhere = files
        .map((file) => ({ file: relative(packageRoot, file), text: readFileSync(file, 'utf8') }))
        .filter(({ file }) => file !== writer)
        .flatMap(({ file, text }) => statusWrites(text, table, model).map((write) => `${file}: ${write}`));
      expect(elsewhere).toEqual([]);
    });
  }

  it('are found in SQL and in Prisma calls', () => {
    expect(statusWrites(`UPDATE "Run" SET status = 'FAILED' WHERE id = $1`, 'Run', 'run')).toHaveLength(1);
    expect(statusWrites(`UPDATE "Run" SET iteration = $2 WHERE id = $1`, 'Run', 'run')).toHaveLength(0);
    expect(
      statusWrites('tx.leakageAudit.update({ where: { id }, data: { status: X } })', 'x', 'leakageAudit'),
    ).toHaveLength(1);
    expect(
      statusWrites('tx.leakageAudit.update({ where: { id }, data: { shardsDone } })', 'x', 'leakageAudit'),
    ).toHaveLength(0);
  });
});
