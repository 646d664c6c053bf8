#!/usr/bin/env node
// Mutation testing (StrykerJS) of the modules where a silent mistake costs most, one module at a
// time: `npm run mutation` runs them all, `npm run mutation -- auth runs` the ones named. Modules,
// the code each mutates and the unit tests that must catch it are in test/mutation/modules.json;
// how and when to run it is in README.md ("Mutation testing"), results in test/mutation/RESULTS.md.
import { readFileSync } from 'node:fs';
import { Stryker } from '@stryker-mutator/core';

/** @type {Record<string, { mutate: string[]; tests: string[] }>} modules.json: files to mutate, tests that must catch it */
// eslint-disable-next-line @typescript-eslint/no-unsafe-assignment -- a plain-JS script: the JSDoc type above is its check
const modules = JSON.parse(readFileSync(new URL('../test/mutation/modules.json', import.meta.url), 'utf8'));
const asked = process.argv.slice(2);
const unknown = asked.filter((name) => !(name in modules));
if (unknown.length > 0) {
  console.error(`mutation: unknown module ${unknown.join(', ')}; modules: ${Object.keys(modules).join(', ')}`);
  process.exit(2);
}

const scores = [];
for (const name of asked.length > 0 ? asked : Object.keys(modules)) {
  // Read by test/mutation/vitest.config.ts in Stryker's test-runner processes, which inherit it.
  process.env.BROWNIAN_MUTATION_MODULE = name;
  const results = await new Stryker({
    mutate: modules[name].mutate,
    incrementalFile: `test/mutation/incremental/${name}.json`,
    htmlReporter: { fileName: `reports/mutation/${name}.html` },
    jsonReporter: { fileName: `reports/mutation/${name}.json` },
  }).runMutationTest();
  const detected = results.filter((r) => r.status === 'Killed' || r.status === 'Timeout').length;
  const valid = results.filter((r) => !['CompileError', 'RuntimeError', 'Ignored'].includes(r.status)).length;
  scores.push({ name, detected, valid, score: valid === 0 ? 100 : (100 * detected) / valid });
}
for (const { name, detected, valid, score } of scores)
  console.log(`${name.padEnd(12)} ${score.toFixed(1).padStart(5)}%  (${detected}/${valid} mutants detected)`);
