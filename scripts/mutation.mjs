#!/usr/bin/env node
// Mutation testing (StrykerJS) of the modules where a silent mistake costs most, one module at a
// time: `npm run mutation` runs them all, `npm run mutation -- auth runs` the ones named, and
// `npm run mutation -- autodiff --files 'services/worker/src/autodiff/gradients/Conv.ts'` only some
// files of one module (a large module is measured a few files at a time). Modules, the code each
// mutates and the unit tests that must catch it are in test/mutation/modules.json; how and when to
// run it is in README.md ("Development"), results in test/mutation/RESULTS.md.
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Stryker } from '@stryker-mutator/core';

/** @type {Record<string, { mutate: string[]; tests: string[] }>} modules.json: files to mutate, tests that must catch it */
// eslint-disable-next-line @typescript-eslint/no-unsafe-assignment -- a plain-JS script: the JSDoc type above is its check
const modules = JSON.parse(readFileSync(new URL('../test/mutation/modules.json', import.meta.url), 'utf8'));
const { values, positionals: asked } = parseArgs({
  allowPositionals: true,
  options: { files: { type: 'string', multiple: true } },
});
const unknown = asked.filter((name) => !(name in modules));
if (unknown.length > 0) {
  console.error(`mutation: unknown module ${unknown.join(', ')}; modules: ${Object.keys(modules).join(', ')}`);
  process.exit(2);
}
const files = values.files?.flatMap((f) => f.split(','));
if (files && asked.length !== 1) {
  console.error('mutation: --files takes the files of one module, named before it');
  process.exit(2);
}

/** @typedef {{ status: string; static?: boolean }} Mutant */
/** Stryker's JSON report, the parts read here.
 * @typedef {{ files: Record<string, { mutants: Mutant[] }>; testFiles?: Record<string, unknown> }} Report */

/**
 * Killed (or timed out) over the mutants that compile and are not ignored, as in test/mutation/RESULTS.md.
 * @param {Mutant[]} mutants
 */
function score(mutants) {
  const detected = mutants.filter((m) => m.status === 'Killed' || m.status === 'Timeout').length;
  const valid = mutants.filter((m) => !['CompileError', 'RuntimeError', 'Ignored'].includes(m.status)).length;
  return { detected, valid, score: valid === 0 ? 100 : (100 * detected) / valid };
}

/**
 * Stryker's incremental report holds only the files of the run that wrote it: the results of a run
 * on some files go into the module's report, replacing those files' earlier results and keeping
 * the others', so that its next run (whole or partial) reuses them all.
 * @param {string} incremental
 * @param {string} partial
 * @returns {Report}
 */
function mergeInto(incremental, partial) {
  /** @param {string} path @returns {Report} */
  // eslint-disable-next-line @typescript-eslint/no-unsafe-return -- a plain-JS script: the JSDoc type above is its check
  const read = (path) => JSON.parse(readFileSync(path, 'utf8'));
  const run = read(partial);
  const merged = existsSync(incremental) ? read(incremental) : run;
  Object.assign(merged.files, run.files);
  merged.testFiles = { ...merged.testFiles, ...run.testFiles };
  writeFileSync(incremental, `${JSON.stringify(merged)}\n`);
  return merged;
}

/**
 * Stryker reuses the result of a static mutant (one evaluated when its module loads, such as a
 * module-level constant) as long as its code is unchanged, even when the tests changed, since it
 * has no per-test coverage to compare: such results are dropped once any test file of the report
 * differs from the one it was measured with, so those mutants run again.
 * @param {string} path
 */
function forgetStaticResultsOfChangedTests(path) {
  if (!existsSync(path)) return;
  /** @type {Report & { testFiles: Record<string, { source?: string }> }} */
  // eslint-disable-next-line @typescript-eslint/no-unsafe-assignment -- a plain-JS script: the JSDoc type above is its check
  const report = JSON.parse(readFileSync(path, 'utf8'));
  const changed = Object.entries(report.testFiles ?? {}).some(
    ([file, { source }]) => !existsSync(file) || readFileSync(file, 'utf8') !== source,
  );
  if (!changed) return;
  for (const file of Object.values(report.files)) file.mutants = file.mutants.filter((m) => !m.static);
  writeFileSync(path, `${JSON.stringify(report)}\n`);
}

const scores = [];
for (const name of asked.length > 0 ? asked : Object.keys(modules)) {
  // Read by test/mutation/vitest.config.ts in Stryker's test-runner processes, which inherit it.
  process.env.BROWNIAN_MUTATION_MODULE = name;
  const incremental = `test/mutation/incremental/${name}.json`;
  // A partial run starts from the module's results (to reuse those of unchanged code) in a copy.
  const partial = `reports/mutation/${name}.partial.json`;
  mkdirSync('reports/mutation', { recursive: true });
  if (files && existsSync(incremental)) copyFileSync(incremental, partial);
  forgetStaticResultsOfChangedTests(files ? partial : incremental);
  const results = await new Stryker({
    mutate: files ?? modules[name].mutate,
    incrementalFile: files ? partial : incremental,
    htmlReporter: { fileName: `reports/mutation/${name}.html` },
    jsonReporter: { fileName: `reports/mutation/${name}.json` },
  }).runMutationTest();
  scores.push({ name: files ? `${name} (these files)` : name, ...score(results) });
  if (files) {
    const merged = mergeInto(incremental, partial);
    const measured = Object.values(merged.files);
    const all = score(measured.flatMap((file) => file.mutants));
    scores.push({ name: `${name} (${measured.length} files measured)`, ...all });
  }
}
for (const { name, detected, valid, score } of scores)
  console.log(`${score.toFixed(1).padStart(5)}%  (${detected}/${valid} mutants detected)  ${name}`);
