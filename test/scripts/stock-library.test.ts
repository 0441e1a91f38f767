/**
 * Stock-script library pieces that need no root: user-name rules, the lock, the installer and its
 * shims (run standalone for real), the nftables transaction text, the nft batcher, backend choice.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isValidUsername } from '../../src/scripts/contract/input.js';
import { LOCK_FAILED_LOG, LockDir, withLock } from '../../src/scripts/contract/lock.js';
import { ScriptFailure } from '../../src/scripts/contract/stock-script.js';
import { installStockScripts, readStockShimName } from '../../src/scripts/install.js';
import { stockScripts } from '../../src/scripts/registry.js';
import { nftBatchScript } from '../../src/scripts/firewall/nftables.js';
import { NftBatcher, type NftOp } from '../../src/scripts/firewall/nft-batcher.js';
import { backendFromArgs } from '../../src/scripts/firewall/select-backend.js';
import { formatIp, parseIp, type IpAddress } from '../../src/core/net/ip.js';

const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'riposte-stocklib-'));
after(() => {
  fs.rmSync(tmpRoot, { recursive: true, force: true });
});
let homeCounter = 0;
function newHome(): string {
  const home = path.join(tmpRoot, `home-${++homeCounter}`);
  fs.mkdirSync(home);
  return home;
}

function ip(text: string): IpAddress {
  const parsed = parseIp(text);
  assert.ok(parsed, text);
  return parsed;
}

void describe('is_valid_username (Wazuh 4.14.7 rules)', () => {
  const accepted = ['alice', 'Bob', '9lives', 'svc.web', 'user$', 'a_b-c', 'x'.repeat(256), 'élodie'];
  const rejected = ['', 'root', 'x'.repeat(257), '-rf', '+nis', '~me', 'a:b', 'a,b', 'a b', 'a\tb', 'a\nb'];
  const rejected2 = ['a\rb', 'a/b', 'a\\b', '..', 'a..b', 'é'.repeat(129)];
  for (const name of accepted) {
    void test(`accepts ${JSON.stringify(name.slice(0, 20))}`, () => {
      assert.equal(isValidUsername(name), true);
    });
  }
  for (const name of [...rejected, ...rejected2]) {
    void test(`rejects ${JSON.stringify(name.slice(0, 20))}`, () => {
      assert.equal(isValidUsername(name), false);
    });
  }
});

void describe('lock (Wazuh-compatible mkdir lock, bounded wait)', () => {
  void test('in-process callers are serialised and the lock dir is removed afterwards', async () => {
    const home = newHome();
    const events: string[] = [];
    const critical = async (id: string): Promise<void> => {
      events.push(`in ${id}`);
      assert.ok(fs.existsSync(path.join(home, LockDir.FIREWALL, 'pid')));
      await new Promise((r) => setImmediate(r));
      events.push(`out ${id}`);
    };
    await Promise.all(
      ['a', 'b', 'c'].map((id) => withLock({ home, dir: LockDir.FIREWALL }, () => critical(id))),
    );
    assert.deepEqual(events, ['in a', 'out a', 'in b', 'out b', 'in c', 'out c']);
    assert.equal(fs.existsSync(path.join(home, LockDir.FIREWALL)), false);
  });

  void test('a lock left by a dead process is taken over', async () => {
    const home = newHome();
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    assert.ok(dead !== undefined && dead > 0);
    fs.mkdirSync(path.join(home, LockDir.FIREWALL), { recursive: true });
    fs.writeFileSync(path.join(home, LockDir.FIREWALL, 'pid'), `${dead}\n`);
    let ran = false;
    await withLock({ home, dir: LockDir.FIREWALL, timeoutMs: 2000 }, () => {
      ran = fs.readFileSync(path.join(home, LockDir.FIREWALL, 'pid'), 'utf8').trim() === String(process.pid);
      return Promise.resolve();
    });
    assert.equal(ran, true);
  });

  void test('a live holder is waited for, then "Unable to take lock. End." and nothing is killed', async () => {
    const home = newHome();
    const lockDir = path.join(home, LockDir.HOST_DENY);
    fs.mkdirSync(lockDir, { recursive: true });
    fs.writeFileSync(path.join(lockDir, 'pid'), '1\n'); // init: always alive
    let ran = false;
    const started = process.hrtime.bigint();
    await assert.rejects(
      withLock({ home, dir: LockDir.HOST_DENY, timeoutMs: 300 }, () => {
        ran = true;
        return Promise.resolve();
      }),
      (err: unknown) => err instanceof ScriptFailure && err.message === LOCK_FAILED_LOG,
    );
    const waitedMs = Number(process.hrtime.bigint() - started) / 1e6;
    assert.equal(ran, false);
    assert.ok(waitedMs >= 250, `waited ${waitedMs} ms`);
    assert.equal(fs.readFileSync(path.join(lockDir, 'pid'), 'utf8'), '1\n');
  });
});

void describe('installStockScripts / readStockShimName', () => {
  void test('one executable shim per registry name, marker readable, mode 0750', () => {
    const home = newHome();
    const written = installStockScripts(home);
    assert.equal(written.length, stockScripts.size);
    for (const name of stockScripts.keys()) {
      const file = path.join(home, 'active-response', 'bin', name);
      assert.equal(readStockShimName(file), name);
      assert.equal(fs.statSync(file).mode & 0o777, 0o750);
      assert.equal(fs.readFileSync(file, 'utf8').split('\n')[0], `#!${process.execPath}`);
    }
  });

  void test('custom scripts and symlinks are left alone; our shims are refreshed', () => {
    const home = newHome();
    const bin = path.join(home, 'active-response', 'bin');
    fs.mkdirSync(bin, { recursive: true });
    const custom = '#!/bin/sh\necho custom\n';
    fs.writeFileSync(path.join(bin, 'firewall-drop'), custom, { mode: 0o750 });
    fs.symlinkSync('/bin/true', path.join(bin, 'route-null'));
    assert.deepEqual(
      installStockScripts(home)
        .map((p) => path.basename(p))
        .filter((n) => n === 'firewall-drop' || n === 'route-null'),
      [],
    );
    assert.equal(fs.readFileSync(path.join(bin, 'firewall-drop'), 'utf8'), custom);
    assert.equal(readStockShimName(path.join(bin, 'firewall-drop')), undefined);
    assert.equal(readStockShimName(path.join(bin, 'route-null')), undefined);
    assert.equal(readStockShimName(path.join(bin, 'missing')), undefined);
    fs.rmSync(path.join(bin, 'route-null'));
    installStockScripts(home);
    const shim = path.join(bin, 'route-null');
    const original = fs.readFileSync(shim, 'utf8');
    fs.writeFileSync(shim, `${original}// stale build\n`);
    installStockScripts(home);
    assert.equal(fs.readFileSync(shim, 'utf8'), original);
  });

  void test('the installed executable runs standalone: invalid srcip -> exit 255, logged, nothing sent', () => {
    const home = newHome();
    installStockScripts(home);
    const line = JSON.stringify({
      version: 1,
      origin: { name: 'n', module: 'wazuh-execd' },
      command: 'add',
      parameters: { extra_args: [], alert: { data: { srcip: '1.2.3.4;id' } }, program: 'x' },
    });
    const r = spawnSync('active-response/bin/firewall-drop', {
      cwd: home,
      input: `${line}\n`,
      encoding: 'utf8',
    });
    assert.equal(r.status, 255);
    assert.equal(r.stdout, '');
    const log = fs
      .readFileSync(path.join(home, 'logs', 'active-responses.log'), 'utf8')
      .trimEnd()
      .split('\n');
    assert.equal(log.length, 3);
    assert.match(
      log[0] ?? '',
      /^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d active-response\/bin\/firewall-drop: Starting$/,
    );
    assert.ok(log[1]?.endsWith(`active-response/bin/firewall-drop: ${line}`));
    assert.ok(log[2]?.endsWith(": Cannot read 'srcip' from data or invalid IP format"));
  });
});

void describe('nftables transaction text', () => {
  void test('guard, prologue, rules re-created after flush, deduped adds, add+delete for deletes, order kept', () => {
    const ops: NftOp[] = [
      { kind: 'add', ip: ip('10.0.0.1') },
      { kind: 'add', ip: ip('10.0.0.1') },
      { kind: 'add', ip: ip('10.0.0.2') },
      { kind: 'delete', ip: ip('10.0.0.3') },
      { kind: 'add', ip: ip('2001:DB8::1') },
    ];
    const lines = nftBatchScript(ops).trimEnd().split('\n');
    // The guard fails the transaction when the sentinel (and so the table) is gone.
    assert.equal(lines[0], 'delete element inet riposte ready { 1 }');
    assert.equal(lines[1], 'add table inet riposte');
    assert.ok(lines.indexOf('add element inet riposte ready { 1 }') > 1, 'the prologue re-adds it');
    assert.deepEqual(
      nftBatchScript(ops, 'ensure').trimEnd().split('\n'),
      lines.slice(1),
      'a process first transaction: the prologue without the guard',
    );
    for (const hook of ['input', 'forward']) {
      const flush = lines.indexOf(`flush chain inet riposte ${hook}`);
      assert.ok(flush > 0);
      assert.deepEqual(lines.slice(flush + 1, flush + 3), [
        `add rule inet riposte ${hook} ip saddr @blocked4 drop`,
        `add rule inet riposte ${hook} ip6 saddr @blocked6 drop`,
      ]);
      assert.equal(lines.filter((l) => l.startsWith(`add rule inet riposte ${hook} `)).length, 2);
    }
    const elements = lines.filter((l) => l.includes(' element ') && !l.includes(' ready '));
    assert.deepEqual(nftBatchScript(ops, 'none').trimEnd().split('\n'), elements);
    assert.deepEqual(elements, [
      'add element inet riposte blocked4 { 10.0.0.1, 10.0.0.2 }',
      'add element inet riposte blocked4 { 10.0.0.3 }',
      'delete element inet riposte blocked4 { 10.0.0.3 }',
      'add element inet riposte blocked6 { 2001:db8::1 }',
    ]);
  });
});

/** An op's address text (a run of checked adds: its elements). */
const opText = (o: NftOp): string => (o.kind === 'add-elements' ? o.elements : formatIp(o.ip));

void describe('NftBatcher', () => {
  /** A fake transaction runner whose transactions finish when the test says so. */
  function gatedApply(failOn?: string): {
    apply: (ops: readonly NftOp[]) => Promise<void>;
    batches: string[][];
    release: () => void;
  } {
    const batches: string[][] = [];
    let gates: (() => void)[] = [];
    return {
      batches,
      release: () => {
        const g = gates;
        gates = [];
        g.forEach((f) => {
          f();
        });
      },
      apply: (ops) => {
        const texts = ops.map((o) => `${o.kind} ${opText(o)}`);
        batches.push(texts);
        if (failOn !== undefined && texts.some((t) => t.endsWith(failOn))) {
          return Promise.reject(new ScriptFailure('nft failed'));
        }
        return new Promise<void>((resolve) => gates.push(resolve));
      },
    };
  }
  const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

  void test('same-turn requests share one transaction; requests during it share the next; order kept', async () => {
    const fake = gatedApply();
    const batcher = new NftBatcher(fake.apply);
    const first = ['1.0.0.1', '1.0.0.2', '1.0.0.3'].map((a) => batcher.submit([{ kind: 'add', ip: ip(a) }]));
    await tick();
    assert.equal(fake.batches.length, 1);
    const second = ['2.0.0.1', '2.0.0.2'].map((a) => batcher.submit([{ kind: 'add', ip: ip(a) }]));
    second.push(batcher.submit([{ kind: 'delete', ip: ip('2.0.0.1') }]));
    await tick();
    assert.equal(fake.batches.length, 1, 'next transaction waits for the running one');
    fake.release();
    await Promise.all(first);
    await tick();
    assert.equal(fake.batches.length, 2);
    fake.release();
    await Promise.all(second);
    assert.deepEqual(fake.batches, [
      ['add 1.0.0.1', 'add 1.0.0.2', 'add 1.0.0.3'],
      ['add 2.0.0.1', 'add 2.0.0.2', 'delete 2.0.0.1'],
    ]);
    assert.equal(batcher.transactions, 2);
  });

  void test('a failing request is isolated: retried alone, others still succeed', async () => {
    const fake = gatedApply('9.9.9.9');
    const batcher = new NftBatcher((ops) => {
      const p = fake.apply(ops);
      fake.release();
      return p;
    });
    const results = await Promise.allSettled(
      ['1.1.1.1', '9.9.9.9', '2.2.2.2'].map((a) => batcher.submit([{ kind: 'add', ip: ip(a) }])),
    );
    assert.deepEqual(
      results.map((r) => r.status),
      ['fulfilled', 'rejected', 'fulfilled'],
    );
  });

  void test('one bad request among 64: split in halves, about 2·log2(n) extra transactions', async () => {
    const batcher = new NftBatcher((ops) =>
      ops.some((o) => opText(o) === '10.0.0.17') ? Promise.reject(new Error('bad')) : Promise.resolve(),
    );
    const addrs = Array.from({ length: 64 }, (_, i) => `10.0.0.${i}`);
    const results = await Promise.allSettled(addrs.map((a) => batcher.submit([{ kind: 'add', ip: ip(a) }])));
    assert.deepEqual(
      results.flatMap((r, i) => (r.status === 'rejected' ? [addrs[i]] : [])),
      ['10.0.0.17'],
    );
    assert.ok(batcher.transactions <= 1 + 2 * 6, `${batcher.transactions} transactions`);
  });

  void test('maxOps bounds a transaction', async () => {
    const sizes: number[] = [];
    const batcher = new NftBatcher((ops) => {
      sizes.push(ops.length);
      return Promise.resolve();
    }, 2);
    await Promise.all(
      ['1.0.0.1', '1.0.0.2', '1.0.0.3'].map((a) => batcher.submit([{ kind: 'add', ip: ip(a) }])),
    );
    assert.deepEqual(sizes, [2, 1]);
  });

  void test('submitEach: one bad op among 64 fails alone, about 2·log2(n) extra transactions, order kept', async () => {
    const seen: string[][] = [];
    const batcher = new NftBatcher((ops) => {
      const texts = ops.map(opText);
      seen.push(texts);
      return texts.includes('10.0.0.17') ? Promise.reject(new Error('bad 10.0.0.17')) : Promise.resolve();
    });
    const addrs = Array.from({ length: 64 }, (_, i) => `10.0.0.${i}`);
    const errors = await batcher.submitEach(addrs.map((a) => ({ kind: 'add', ip: ip(a) })));
    assert.deepEqual(
      errors.flatMap((e, i) => (e === undefined ? [] : [[addrs[i], (e as Error).message]])),
      [['10.0.0.17', 'bad 10.0.0.17']],
    );
    assert.deepEqual(seen[0], addrs, 'first one transaction of all 64, in order');
    assert.ok(batcher.transactions <= 1 + 2 * 6, `${batcher.transactions} transactions`);
    const applied = new Set(seen.filter((t) => !t.includes('10.0.0.17')).flat());
    assert.equal(applied.size, 63, 'every other op was committed');
  });

  void test('submitEach: ranges bounded by maxOps, joined by same-turn submits, every op settled', async () => {
    const sizes: number[] = [];
    const batcher = new NftBatcher((ops) => {
      sizes.push(ops.length);
      return Promise.resolve();
    }, 10);
    const ops = Array.from({ length: 25 }, (_, i): NftOp => ({ kind: 'add', ip: ip(`10.1.0.${i}`) }));
    const [errors] = await Promise.all([
      batcher.submitEach(ops),
      batcher.submit([{ kind: 'delete', ip: ip('10.1.0.3') }]),
    ]);
    assert.deepEqual(sizes, [10, 10, 6], 'the last range and the same-turn submit share one');
    assert.equal(errors.length, 25);
    assert.ok(errors.every((e) => e === undefined));
    assert.deepEqual(await batcher.submitEach([]), []);
  });
});

void describe('firewall backend choice from extra_args', () => {
  void test('--backend X and --backend=X select; absent selects automatic; bad values fail', () => {
    assert.equal(backendFromArgs([]), undefined);
    assert.equal(backendFromArgs(['-v', 'other']), undefined);
    assert.equal(backendFromArgs(['--backend', 'ipset']), 'ipset');
    assert.equal(backendFromArgs(['--backend=iptables']), 'iptables');
    assert.equal(backendFromArgs(['--backend', 'nftables']), 'nftables');
    for (const bad of [['--backend'], ['--backend', 'pf'], ['--backend=;id']]) {
      assert.throws(() => backendFromArgs(bad), ScriptFailure);
    }
  });
});
