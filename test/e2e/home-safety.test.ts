/**
 * Issue #13 finding 10: a home another local user can write is not trusted. Reproduces the
 * attacks: a 0777 home pre-created by another user with `logs/riposte.log` linked to a root-only
 * file, a group-writable `var/`, a world-writable ancestor, and a swapped `var/api.sock` that
 * would capture the bearer token sent by `riposte ar list --home`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  mkdirSync,
  readFileSync,
  renameSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { CLI, makeHome, removeHome, startDaemon } from './support/daemon-harness.js';

const OTHER_UID = 4242; // a local user that is not the daemon's (no account needed to own files)
const CONFIG = resolve('examples/ossec.conf');

function riposte(args: readonly string[]): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

/** A victim file only root may write, and a home `other` made 0777 with a log link to it. */
function attackedHome(): { home: string; victim: string } {
  const home = makeHome('riposte-unsafe-');
  const victim = join(home, '..', `${home.split('/').pop() ?? 'x'}-victim`);
  writeFileSync(victim, 'root only\n', { mode: 0o600 });
  symlinkSync(victim, join(home, 'logs/riposte.log'));
  chmodSync(home, 0o777);
  chownSync(home, OTHER_UID, OTHER_UID);
  return { home, victim };
}

test('start, agent and manager refuse a 0777 home owned by another user; the planted log link is not followed', () => {
  const { home, victim } = attackedHome();
  try {
    for (const args of [
      ['agent', '--home', home],
      ['start', '-c', CONFIG, '--home', home],
      ['manager', '-c', CONFIG, '--home', home, '--listen', '127.0.0.1:0'],
    ]) {
      const r = riposte(args);
      assert.equal(r.status, 1, `${args[0] ?? ''}: ${r.out}`);
      assert.match(r.out, /Refusing to use ".*riposte-unsafe-[^"]*": it is owned by uid 4242/);
      assert.match(r.out, /Fix: chown 0 /);
    }
    chownSync(home, 0, 0); // owned by root now, still 0777
    const r = riposte(['agent', '--home', home]);
    assert.equal(r.status, 1, r.out);
    assert.match(r.out, /writable by group or others \(mode 0777\)\. Fix: chmod go-w '/);
    assert.equal(readFileSync(victim, 'utf8'), 'root only\n');
  } finally {
    removeHome(home);
    removeHome(victim);
  }
});

test('a group-writable var/ and a world-writable ancestor are refused, naming the directory', () => {
  const home = makeHome('riposte-unsafe-');
  try {
    chmodSync(join(home, 'var'), 0o770);
    const r = riposte(['agent', '--home', home]);
    assert.equal(r.status, 1, r.out);
    assert.ok(r.out.includes(`Refusing to use "${join(home, 'var')}"`), r.out);
    chmodSync(join(home, 'var'), 0o750);
    const open = join(home, 'open');
    mkdirSync(open, { mode: 0o777 });
    chmodSync(open, 0o777); // not sticky: anyone could rename the home below it
    const r2 = riposte(['agent', '--home', join(open, 'home')]);
    assert.equal(r2.status, 1, r2.out);
    assert.ok(r2.out.includes(`Refusing to use "${open}"`), r2.out);
  } finally {
    removeHome(home);
  }
});

test('a swapped var/api.sock does not receive the bearer token', async () => {
  const home = makeHome('riposte-sock-');
  const daemon = await startDaemon(home, ['agent']);
  let received = '';
  const trap = createServer((c) => {
    c.on('data', (d: Buffer) => (received += d.toString()));
  });
  const trapPath = join(home, 'trap.sock');
  try {
    await new Promise<void>((r) => trap.listen(trapPath, r));
    chownSync(trapPath, OTHER_UID, OTHER_UID);
    renameSync(trapPath, join(home, 'var/api.sock'));
    const r = riposte(['ar', 'list', '--home', home]);
    assert.equal(r.status, 1, r.out);
    assert.match(r.out, /Refusing to send the API token to ".*api\.sock": it is owned by uid 4242/);
    assert.equal(received, '');
  } finally {
    trap.close();
    await daemon.stop();
    removeHome(home);
  }
});

test('a logs/riposte.log planted as a symbolic link in a safe home is refused, not followed', () => {
  const home = makeHome('riposte-link-');
  const victim = `${home}-victim`;
  try {
    writeFileSync(victim, 'root only\n', { mode: 0o600 });
    symlinkSync(victim, join(home, 'logs/riposte.log'));
    const r = riposte(['agent', '--home', home]);
    assert.equal(r.status, 1, r.out);
    assert.ok(
      r.out.includes(`Refusing to open "${join(home, 'logs/riposte.log')}": it is a symbolic link`),
      r.out,
    );
    assert.equal(readFileSync(victim, 'utf8'), 'root only\n');
  } finally {
    removeHome(home);
    removeHome(victim);
  }
});
