#!/usr/bin/env node
// Runs compiled test files (dist/test/**/*.test.js) with Node's own test runner.
// Usage: node scripts/run-tests.mjs [--one-process] [substring-filter...]
// --one-process imports every selected file into a single process instead of one process per
// file: for the unit layer (npm run test:unit), whose files are pure and share no global state,
// it saves a Node start-up per file (about 1 s each on a busy 2-core machine).
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { spawnSync } from 'node:child_process';

function collect(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      return collect(p);
    }
    return p.endsWith('.test.js') ? [p] : [];
  });
}

const args = process.argv.slice(2);
const oneProcess = args.includes('--one-process');
const filters = args.filter((a) => a !== '--one-process');
const files = collect('dist/test')
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort();
if (files.length === 0) {
  console.error('no test files found under dist/test');
  process.exit(1);
}
const argv = oneProcess
  ? [
      '--test-reporter=spec',
      '--input-type=module',
      '-e',
      // A file that fails to load is reported and fails the run; the others still run.
      `for (const f of ${JSON.stringify(files.map((f) => pathToFileURL(resolve(f)).href))}) {
        try { await import(f); } catch (err) { console.error('failed to load', f, err); process.exitCode = 1; }
      }`,
    ]
  : ['--test', '--test-reporter=spec', ...files];
const r = spawnSync(process.execPath, argv, { stdio: 'inherit' });
process.exit(r.status ?? 1);
