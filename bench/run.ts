import 'reflect-metadata';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { packageRoot } from '../src/core/paths.js';
import type { BenchReport } from './report.js';

/** Runs every bench/*.bench.ts (compiled) in one process and rewrites bench/RESULTS.md. */
async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const compiled = join(packageRoot, 'dist', 'bench');
  const files = (await readdir(compiled))
    .filter((f) => f.endsWith('.bench.js') && (only.length === 0 || only.some((o) => f.includes(o))))
    .sort();
  const reports: BenchReport[] = [];
  for (const file of files) {
    process.stderr.write(`bench ${file}…\n`);
    const module = (await import(pathToFileURL(join(compiled, file)).href)) as { bench(): Promise<BenchReport> };
    const report = await module.bench();
    reports.push(report);
    process.stderr.write(`${renderReport(report)}\n`);
  }
  const header = [
    '# Benchmark results',
    '',
    `Written by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}: Node ${process.version}, ` +
      `${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, onnxruntime CPU.`,
    'Figures that compare are ratios of two measurements taken in the same process, one after the other.',
    '',
  ];
  const path = join(packageRoot, 'bench', 'RESULTS.md');
  // Benchmarks not run this time keep their last results, so that a long one can be run alone.
  const kept =
    only.length === 0
      ? []
      : previousSections(await readFile(path, 'utf8').catch(() => ''), new Set(reports.map((r) => r.name)));
  await writeFile(path, `${[...header, ...kept, ...reports.map(renderReport)].join('\n')}\n`);
}

/** The `## name` sections of an earlier RESULTS.md, except those named in `replaced`. */
function previousSections(text: string, replaced: ReadonlySet<string>): string[] {
  return text
    .split(/^(?=## )/m)
    .filter((section) => section.startsWith('## ') && !replaced.has(section.slice(3, section.indexOf('\n')).trim()))
    .map((section) => `${section.trimEnd()}\n`);
}

function renderReport(report: BenchReport): string {
  const columns = [...new Set(report.rows.flatMap((row) => Object.keys(row)))];
  const lines = [`## ${report.name}`, '', `| ${columns.join(' | ')} |`, `| ${columns.map(() => '---').join(' | ')} |`];
  for (const row of report.rows) lines.push(`| ${columns.map((c) => String(row[c] ?? '')).join(' | ')} |`);
  for (const note of report.notes ?? []) lines.push('', note);
  return `${lines.join('\n')}\n`;
}

await main();
