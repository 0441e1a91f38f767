/**
 * The nftables backend of a long-lived process (the agent) when the table changes under it, inside
 * a network namespace the test creates: after `nft flush ruleset`, `nft flush table` or
 * `nft delete table` run by someone else, the next block really drops its address (its rule and
 * set are back in the same transaction), and the addresses the process blocked before are
 * blocked again; one it unblocked meanwhile stays unblocked. Packets are checked on the namespace's
 * loopback: a TCP connect from each 198.51.100.x source to a listener on 198.51.100.254.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { inNs, netnsSkipReason } from './netns-fixture.js';

const skip = netnsSkipReason();
const DRIVER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'nft-backend-driver.js');
const SOURCES = ['198.51.100.1', '198.51.100.2', '198.51.100.3'];
const SERVER = '198.51.100.254';
const PORT = 20000 + (randomBytes(2).readUInt16BE(0) % 20000);
const ns = `rip-${randomBytes(4).toString('hex')}-n`;
let listener: ChildProcessWithoutNullStreams | undefined;

const PROBE = `const s = require('net').connect({ host: process.argv[1], port: Number(process.argv[2]),
  localAddress: process.argv[3], timeout: 1000 });
s.on('connect', () => process.exit(0)); s.on('timeout', () => process.exit(1)); s.on('error', () => process.exit(2));`;

/** True when a TCP connect from `source` to the listener succeeds within ~1 s. */
function canConnectFrom(source: string): boolean {
  const args = ['netns', 'exec', ns, process.execPath, '-e', PROBE, SERVER, String(PORT), source];
  return spawnSync('ip', args, { timeout: 10_000 }).status === 0;
}

/** The sources whose connects are dropped. */
function dropped(): string[] {
  return SOURCES.filter((s) => !canConnectFrom(s));
}

/** The elements of `blocked4`, sorted. */
function setElements(): string[] {
  const out = inNs(ns, ['nft', '-j', 'list', 'set', 'inet', 'riposte', 'blocked4']);
  const json = JSON.parse(out) as { nftables: { set?: { elem?: string[] } }[] };
  return (json.nftables.find((o) => o.set)?.set?.elem ?? []).sort();
}

/** A driver process (nft-backend-driver.ts) in the namespace, asked one line at a time. */
class Driver {
  private readonly proc = spawn('ip', ['netns', 'exec', ns, process.execPath, DRIVER]);
  private readonly lines: Interface = createInterface({ input: this.proc.stdout });
  private readonly iterator = this.lines[Symbol.asyncIterator]();

  async ask(request: string): Promise<string> {
    this.proc.stdin.write(`${request}\n`);
    const next = await this.iterator.next();
    return next.done === true ? 'error: driver ended' : next.value;
  }

  stop(): void {
    this.proc.stdin.end();
    this.lines.close();
  }
}

before(async () => {
  if (skip !== undefined) {
    return;
  }
  spawnSync('ip', ['netns', 'add', ns]);
  inNs(ns, ['ip', 'link', 'set', 'lo', 'up']);
  for (const a of [...SOURCES, SERVER]) {
    inNs(ns, ['ip', 'addr', 'add', `${a}/32`, 'dev', 'lo']);
  }
  const server = `require('net').createServer((s) => s.end()).listen(Number(process.argv[1]), process.argv[2]);`;
  listener = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', server, String(PORT), SERVER]);
  for (let i = 0; i < 150 && !canConnectFrom(SOURCES[0] ?? ''); i++) {
    await new Promise((r) => setTimeout(r, 100));
  }
});

after(() => {
  listener?.kill();
  spawnSync('ip', ['netns', 'del', ns]);
});

/** Runs `scenario` with a fresh driver and no riposte table. */
async function withDriver(scenario: (d: Driver) => Promise<void>): Promise<void> {
  inNs(ns, ['nft', 'delete', 'table', 'inet', 'riposte'], { allowFail: true });
  assert.deepEqual(dropped(), [], 'the listener answers every source');
  const d = new Driver();
  try {
    await scenario(d);
  } finally {
    d.stop();
  }
}

void describe('nftables backend: the table changed under a long-lived process', { skip }, () => {
  void test('nft flush ruleset: the next block drops, and the earlier block is back', () =>
    withDriver(async (d) => {
      assert.equal(await d.ask('block 198.51.100.1'), 'ok');
      assert.deepEqual(dropped(), ['198.51.100.1']);
      inNs(ns, ['nft', 'flush', 'ruleset']);
      assert.deepEqual(dropped(), [], 'the flush removed the block');
      assert.equal(await d.ask('block 198.51.100.2'), 'ok');
      assert.deepEqual(dropped(), ['198.51.100.1', '198.51.100.2']);
      assert.deepEqual(setElements(), ['198.51.100.1', '198.51.100.2']);
    }));

  void test('nft flush table: the drop rules are back with the next block', () =>
    withDriver(async (d) => {
      assert.equal(await d.ask('block 198.51.100.1'), 'ok');
      inNs(ns, ['nft', 'flush', 'table', 'inet', 'riposte']);
      assert.equal(await d.ask('block 198.51.100.2'), 'ok');
      assert.deepEqual(dropped(), ['198.51.100.1', '198.51.100.2']);
      const rules = inNs(ns, ['nft', 'list', 'chain', 'inet', 'riposte', 'input']);
      assert.equal(rules.match(/saddr @blocked4 drop/g)?.length, 1, rules);
    }));

  void test('nft delete table, then an unblock: what the process blocked is back, less it', () =>
    withDriver(async (d) => {
      for (const a of SOURCES) {
        assert.equal(await d.ask(`block ${a}`), 'ok');
      }
      assert.equal(await d.ask('unblock 198.51.100.3'), 'ok');
      inNs(ns, ['nft', 'delete', 'table', 'inet', 'riposte']);
      assert.equal(await d.ask('unblock 198.51.100.2'), 'ok');
      assert.deepEqual(dropped(), ['198.51.100.1']);
      assert.deepEqual(setElements(), ['198.51.100.1']);
    }));
});
