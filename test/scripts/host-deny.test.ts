/**
 * host-deny: exact entry matching (pure), and the real script as a process in a private mount
 * namespace whose /etc is an overlay (or bind) over a temp dir, so the host's /etc/hosts.deny is
 * never read or written.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseIp } from '../../src/core/net/ip.js';
import {
  denyEntry,
  hasEntry,
  isEntryFor,
  withEntry,
  withoutEntry,
} from '../../src/scripts/host-deny/entries.js';
import { SRCIP_INVALID_LOG } from '../../src/scripts/contract/input.js';
import { applyDenyEdits } from '../../src/scripts/host-deny.js';
import {
  alertWith,
  arMessage,
  BAD_IPS,
  installedShim,
  privateMountPrefix,
  readArLog,
  runShim,
  tempDir,
} from './stock-b/harness.js';

const ip = (t: string): NonNullable<ReturnType<typeof parseIp>> => {
  const a = parseIp(t);
  assert.ok(a, t);
  return a;
};

void describe('host-deny entries (pure)', () => {
  void test('IPv4 is written bare, IPv6 canonical in brackets', () => {
    assert.equal(denyEntry(ip('192.0.2.7')), 'ALL:192.0.2.7');
    assert.equal(denyEntry(ip('2001:DB8:0:0::1')), 'ALL:[2001:db8::1]');
  });

  void test('matching is exact: 10.0.0.1 does not match 10.0.0.10 (Wazuh substring quirk fixed)', () => {
    assert.equal(isEntryFor('ALL:10.0.0.10', ip('10.0.0.1')), false);
    assert.equal(isEntryFor('ALL: 10.0.0.1 ', ip('10.0.0.1')), true);
    assert.equal(isEntryFor('sshd: 10.0.0.1', ip('10.0.0.1')), false);
    assert.equal(isEntryFor('ALL:[2001:db8::1]', ip('2001:db8:0::1')), true);
  });

  void test('withEntry appends once and fixes a missing final newline; withoutEntry keeps other lines', () => {
    const base = '# comment\nsshd: 10.0.0.1\nALL:10.0.0.10';
    const added = withEntry(base, ip('10.0.0.1'));
    assert.equal(added, `${base}\nALL:10.0.0.1\n`);
    assert.equal(withEntry(added, ip('10.0.0.1')), added);
    assert.equal(hasEntry(added, ip('10.0.0.1')), true);
    assert.equal(withoutEntry(added, ip('10.0.0.1')), `${base}\n`);
    assert.equal(withoutEntry(base, ip('10.0.0.1')), base);
  });
});

void describe('host-deny batch edits (pure): one rewrite for a whole batch', () => {
  void test('edits apply in order; an add then a delete of one address ends without it; no-ops reported', () => {
    const base = '# keep\nALL:10.0.0.9\n';
    const { text, noop } = applyDenyEdits(base, [
      { mode: 'add', addr: ip('10.0.0.1') },
      { mode: 'add', addr: ip('10.0.0.9') },
      { mode: 'add', addr: ip('2001:db8::1') },
      { mode: 'delete', addr: ip('10.0.0.1') },
      { mode: 'delete', addr: ip('10.0.0.2') },
    ]);
    assert.equal(text, '# keep\nALL:10.0.0.9\nALL:[2001:db8::1]\n');
    assert.deepEqual(noop, [false, true, false, false, true]);
  });
});

const root = tempDir('host-deny');
after(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

let counter = 0;

/** A fresh home + private /etc; `initial` seeds hosts.deny (undefined = no file). */
function setup(initial: string | undefined): { home: string; upper: string; prefix: string[]; shim: string } {
  const dir = path.join(root, `case-${++counter}`);
  const upper = path.join(dir, 'etc-upper');
  const work = path.join(dir, 'etc-work');
  const home = path.join(dir, 'home');
  fs.mkdirSync(upper, { recursive: true });
  fs.mkdirSync(work);
  fs.mkdirSync(home);
  if (initial !== undefined) {
    fs.writeFileSync(path.join(upper, 'hosts.deny'), initial, { mode: 0o640 });
  }
  return {
    home,
    upper,
    prefix: privateMountPrefix('/etc', upper, work),
    shim: installedShim(home, 'host-deny'),
  };
}

async function run(
  c: ReturnType<typeof setup>,
  command: string,
  srcip: unknown,
): Promise<{ code: number | null; log: string[]; file: string | undefined }> {
  const msg = arMessage(command, alertWith({ srcip }), [], 'host-deny');
  const cont = arMessage('continue', alertWith({ srcip }), [], 'host-deny');
  const r = await runShim({ prefix: c.prefix, shim: c.shim, stdinLines: [msg, cont] });
  assert.notEqual(r.code, 99, `private /etc could not be mounted: ${r.stderr}`);
  const file = path.join(c.upper, 'hosts.deny');
  return {
    code: r.code,
    log: readArLog(c.home, 'active-response/bin/host-deny'),
    file: fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined,
  };
}

void describe('host-deny script (private mount namespace)', () => {
  let hostFileBefore: string | undefined;
  before(() => {
    hostFileBefore = fs.existsSync('/etc/hosts.deny')
      ? fs.readFileSync('/etc/hosts.deny', 'utf8')
      : undefined;
  });
  after(() => {
    const now = fs.existsSync('/etc/hosts.deny') ? fs.readFileSync('/etc/hosts.deny', 'utf8') : undefined;
    assert.equal(now, hostFileBefore, "the host's /etc/hosts.deny is untouched");
  });

  void test('add writes ALL:<ip> once (repeat is idempotent, exit 0), keeping mode; delete removes only it', async () => {
    const c = setup('# site rules\nALL:10.0.0.10\n');
    const first = await run(c, 'add', '10.0.0.1');
    assert.equal(first.code, 0);
    assert.equal(first.file, '# site rules\nALL:10.0.0.10\nALL:10.0.0.1\n');
    assert.equal(first.log.at(-1), 'Ended');
    assert.ok(
      first.log.includes(
        JSON.stringify({
          version: 1,
          origin: { name: 'host-deny', module: 'active-response' },
          command: 'check_keys',
          parameters: { keys: ['10.0.0.1'] },
        }),
      ),
    );
    assert.equal(fs.statSync(path.join(c.upper, 'hosts.deny')).mode & 0o777, 0o640);

    const again = await run(c, 'add', '10.0.0.1');
    assert.equal(again.code, 0);
    assert.equal(again.file, first.file);
    assert.ok(again.log.includes("Entry 'ALL:10.0.0.1' already present on '/etc/hosts.deny'"));

    const del = await run(c, 'delete', '10.0.0.1');
    assert.equal(del.code, 0);
    assert.equal(del.file, '# site rules\nALL:10.0.0.10\n');
    const delAgain = await run(c, 'delete', '10.0.0.1');
    assert.equal(delAgain.code, 0);
    assert.equal(delAgain.file, del.file);
  });

  void test('IPv6 is written as ALL:[canonical addr]; a differently written delete removes it', async () => {
    const c = setup('# empty\n');
    const r = await run(c, 'add', '2001:db8::7');
    assert.equal(r.code, 0);
    assert.equal(r.file, '# empty\nALL:[2001:db8::7]\n');
    const d = await run(c, 'delete', '2001:DB8:0::7');
    assert.equal(d.code, 0);
    assert.equal(d.file, '# empty\n');
  });

  // With an overlay the host's own /etc/hosts.deny (if any) shows through, so "missing" needs a host without one.
  const hostHasFile = fs.existsSync('/etc/hosts.deny');
  void test(
    'a missing file is created 0644 on add',
    { skip: hostHasFile && 'the host has /etc/hosts.deny' },
    async () => {
      const c = setup(undefined);
      const r = await run(c, 'add', '192.0.2.33');
      assert.equal(r.code, 0);
      assert.equal(r.file, 'ALL:192.0.2.33\n');
      assert.equal(fs.statSync(path.join(c.upper, 'hosts.deny')).mode & 0o777, 0o644);
    },
  );

  void test('invalid IPs and injections: exit 255, the 4.14.7 log line, file unchanged', async () => {
    const c = setup('ALL:192.0.2.1\n');
    const cases = [
      ...[...BAD_IPS, 42, undefined].map((bad) => ['add', bad] as const),
      ['delete', '1.2.3.4;id'] as const,
    ];
    for (const [command, bad] of cases) {
      {
        const r = await run(c, command, bad);
        assert.equal(r.code, 255, `${command} ${JSON.stringify(bad)}`);
        assert.equal(r.log.at(-1), SRCIP_INVALID_LOG);
        assert.equal(r.file, 'ALL:192.0.2.1\n');
      }
    }
  });

  void test("the batch form (execd's in-process path): one run for the batch, in order; no-ops logged; a bad address fails alone", async () => {
    const c = setup('# site rules\nALL:10.0.0.10\n');
    const add = (srcip: string): string => arMessage('add', alertWith({ srcip }), [], 'host-deny');
    const del = (srcip: string): string => arMessage('delete', alertWith({ srcip }), [], 'host-deny');
    const lines = [
      add('192.0.2.1'),
      add('10.0.0.10'),
      add('2001:db8::7'),
      del('10.0.0.99'),
      add('198.51.100.4'),
      del('198.51.100.4'),
      add('1.2.3.4;id'),
    ];
    const child = fileURLToPath(new URL('./stock-b/batch-child.js', import.meta.url));
    const r = await runShim({
      prefix: c.prefix,
      shim: process.execPath,
      args: [child, JSON.stringify({ script: 'host-deny', home: c.home, lines })],
      stdinLines: [],
    });
    assert.notEqual(r.code, 99, `private /etc could not be mounted: ${r.stderr}`);
    assert.equal(r.code, 0, r.stderr);
    const outcomes = JSON.parse(r.stdout) as { exitCode: number; error?: string }[];
    assert.deepEqual(
      outcomes.map((o) => o.exitCode),
      [0, 0, 0, 0, 0, 0, 255],
    );
    assert.equal(outcomes[6]?.error, SRCIP_INVALID_LOG);
    assert.equal(
      fs.readFileSync(path.join(c.upper, 'hosts.deny'), 'utf8'),
      '# site rules\nALL:10.0.0.10\nALL:192.0.2.1\nALL:[2001:db8::7]\n',
    );
    assert.equal(fs.statSync(path.join(c.upper, 'hosts.deny')).mode & 0o777, 0o640, 'mode kept');
    const log = readArLog(c.home, 'active-response/bin/host-deny');
    assert.ok(log.includes("Entry 'ALL:10.0.0.10' already present on '/etc/hosts.deny'"), log.join('\n'));
    assert.ok(log.includes("No entry for '10.0.0.99' on '/etc/hosts.deny'"), log.join('\n'));
    assert.equal(log.filter((l) => l === 'Starting').length, 7);
    assert.equal(log.filter((l) => l === 'Ended').length, 6, 'each valid execution ends');
  });

  void test('unknown command: exit 255, "Invalid value of \'command\'", file unchanged', async () => {
    const c = setup('ALL:192.0.2.1\n');
    const r = await run(c, 'block', '192.0.2.9');
    assert.equal(r.code, 255);
    assert.equal(r.log.at(-1), "Invalid value of 'command'");
    assert.equal(r.file, 'ALL:192.0.2.1\n');
  });
});
