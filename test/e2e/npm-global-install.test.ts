/**
 * `npm install -g` of the packed tarball gives a working `riposte` (issue #9 item 5): `npm pack`,
 * then the README's global install into a temporary prefix (`npm install -g --prefix TMP`), then
 * the installed `TMP/bin/riposte`: `--help`, `check` on the shipped example, and a real agent daemon
 * (SQLite store, execq datagram socket: both native modules load) answering `ar list`.
 *
 * Kept fast (issue #9: the install built better-sqlite3 from source, 5.5 min): npm resolves from its
 * cache first (`--prefer-offline`; `npm install` has just filled it), and better-sqlite3's own
 * installer (prebuild-install) is given a "local prebuild" (its documented `local-prebuilds` option),
 * packed from the binary this checkout's install already built, instead of compiling sqlite3.c.
 * unix-dgram (one small C++ file) is still compiled. The suite has built dist/ (`npm test` =
 * build + tests), so the pack runs the rest of `prepack` (gen:docs) itself and skips the rebuild.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { waitFor } from './support/daemon-harness.js';

const tmp = mkdtempSync(join(tmpdir(), 'riposte-npm-g-'));
after(() => {
  rmSync(tmp, { recursive: true, force: true });
});

function run(cmd: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 540_000 });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')} exited ${String(r.status)}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** better-sqlite3's binary from this checkout, as the prebuild tarball prebuild-install looks for. */
function localPrebuild(dir: string): void {
  const pkg = resolve('node_modules/better-sqlite3');
  const { version } = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')) as { version: string };
  const name = `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
  run('tar', ['-czf', join(dir, name), '-C', pkg, 'build/Release/better_sqlite3.node']);
}

test('npm pack + npm install -g --prefix TMP: TMP/bin/riposte works', { timeout: 600_000 }, async () => {
  const prebuilds = join(tmp, 'prebuilds');
  const prefix = join(tmp, 'prefix');
  mkdirSync(prebuilds);
  mkdirSync(prefix);
  localPrebuild(prebuilds);
  run(process.execPath, ['scripts/gen-docs.mjs', 'dist/share']);
  const tarball = join(
    tmp,
    run('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', tmp]).trim(),
  );
  assert.ok(existsSync(tarball), tarball);
  const t0 = Date.now();
  run(
    'npm',
    [
      'install',
      '-g',
      '--prefix',
      prefix,
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
      '--allow-scripts=better-sqlite3,unix-dgram',
      tarball,
    ],
    // prebuild-install's per-package `local-prebuilds` directory (npm warns it does not know it).
    { npm_config_better_sqlite3_local_prebuilds: prebuilds },
  );
  process.stdout.write(`# npm install -g took ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  const bin = join(prefix, 'bin', 'riposte');
  const installed = join(prefix, 'lib', 'node_modules', 'riposte');

  assert.match(run(bin, ['--help']), /^Usage: riposte \[options\] \[command\]/);
  assert.match(run(bin, ['check', '-c', join(installed, 'examples/ossec.conf')]), /OK/);
  for (const f of ['dist/share/man/man1/riposte.1', 'packaging/systemd/riposte.service', 'LICENSE']) {
    assert.ok(existsSync(join(installed, f)), `the package ships ${f}`);
  }

  const home = join(tmp, 'home');
  mkdirSync(home, { mode: 0o700 });
  const agent = spawn(bin, ['agent', '--home', home], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  agent.stdout.on('data', (c: Buffer) => (out += c.toString()));
  agent.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((r) =>
    agent.on('exit', (code) => {
      r(code);
    }),
  );
  try {
    await waitFor('the installed agent to start', 30_000, () =>
      out.includes(' running in ') ? true : undefined,
    );
    assert.equal(run(bin, ['ar', 'list', '--home', home]), 'No active responses.\n');
    assert.ok(existsSync(join(home, 'queue/alerts/execq')), 'the execq socket (unix-dgram) is bound');
  } finally {
    agent.kill('SIGTERM');
  }
  assert.equal(await exited, 0, out);
});
