/**
 * The batched agent path for real (issue #12 acceptance, issue #13 finding 4): `riposte agent` in a
 * network namespace the test creates, firewall-drop run in-process with the nftables backend,
 * Wazuh AR messages on its execq socket.
 *  - a repeated key gets one `continue`, the rest `abort`;
 *  - a failing element (the kernel set is full) fails only its own execution, recorded; the others
 *    are enforced; the failed one is not listed active;
 *  - kill -9 in the middle of a burst, then restart: every add that was answered `continue` is
 *    active, in the kernel set and armed; none twice; interrupted ones are re-applied, not left
 *    "active" while recorded failed.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { openSqliteAgentStore } from '../../src/store/sqlite-agent-store.js';
import type { ExecutionRecord } from '../../src/protocol/execution-records.js';
import {
  arMessage,
  daemonLog,
  makeHome,
  removeHome,
  startDaemon,
  waitFor,
  writeArConf,
  type Daemon,
} from '../e2e/support/daemon-harness.js';
import { inNs, netnsSkipReason } from './netns-fixture.js';

const skip = netnsSkipReason();
const namespaces: string[] = [];
const homes: string[] = [];
const daemons: Daemon[] = [];

after(async () => {
  for (const d of daemons) {
    if (d.proc.exitCode === null) {
      await d.kill9();
    }
  }
  namespaces.forEach((ns) => spawnSync('ip', ['netns', 'del', ns]));
  homes.forEach(removeHome);
});

function newNamespace(): string {
  const ns = `rip-${randomBytes(4).toString('hex')}-b`;
  const r = spawnSync('ip', ['netns', 'add', ns]);
  if (r.status !== 0) {
    throw new Error(`ip netns add ${ns} failed`);
  }
  namespaces.push(ns);
  return ns;
}

function newHome(): string {
  const home = makeHome('riposte-batch-');
  homes.push(home);
  writeArConf(home, ['firewall-drop600 - firewall-drop - 600']);
  return home;
}

async function startAgent(ns: string, home: string): Promise<Daemon> {
  const d = await startDaemon(home, ['agent'], {}, ['ip', 'netns', 'exec', ns]);
  daemons.push(d);
  return d;
}

/** Addresses in the namespace's blocked4 set. */
function kernelSet(ns: string): Set<string> {
  const out = inNs(ns, ['nft', '-j', 'list', 'set', 'inet', 'riposte', 'blocked4'], { allowFail: true });
  try {
    const parsed = JSON.parse(out) as { nftables: { set?: { elem?: string[] } }[] };
    return new Set(parsed.nftables.find((x) => x.set)?.set?.elem ?? []);
  } catch {
    return new Set();
  }
}

/** Sends every message, `width` at a time. */
async function sendAll(d: Daemon, messages: readonly string[], width = 16): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < messages.length) {
      const m = messages[next++];
      if (m !== undefined) {
        await d.send(m);
      }
    }
  };
  await Promise.all(Array.from({ length: width }, worker));
}

/** The agent's records, read once it has stopped. */
function records(home: string): { executions: ExecutionRecord[]; active: Map<string, string | undefined> } {
  const store = openSqliteAgentStore(join(home, 'var', 'agent.db'));
  try {
    return {
      executions: store.listExecutions({ limit: 100_000 }).reverse(),
      active: new Map(store.listActive().map((a) => [a.key, a.srcip])),
    };
  } finally {
    store.close();
  }
}

/** Polls an async check every 100 ms until true, or fails after `ms`. */
async function poll(what: string, ms: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** No key started twice; every interrupted execution whose response is active was re-applied once. */
function assertNoneTwice(executions: readonly ExecutionRecord[], active: ReadonlyMap<string, unknown>): void {
  const startsPerKey = new Map<string, number>();
  for (const e of executions.filter((x) => x.action === 'add')) {
    startsPerKey.set(e.key ?? '', (startsPerKey.get(e.key ?? '') ?? 0) + 1);
  }
  assert.ok(
    [...startsPerKey.values()].every((n) => n <= 1),
    'no key started twice',
  );
  for (const e of executions.filter((x) => x.note === 'interrupted')) {
    if (e.key !== undefined && active.has(e.key)) {
      const reapplied = executions.filter(
        (x) => x.key === e.key && x.action === 'reapply' && x.status === 'ok',
      );
      assert.equal(reapplied.length, 1, `${e.key}: interrupted, so re-applied once`);
    }
  }
}

const ip = (i: number): string => `10.77.${(i >> 8) & 255}.${i & 255}`;

describe('riposte agent, batched path, real nftables in a namespace', { skip }, () => {
  test('a repeated key: one continue, the rest abort; a failing element fails only its execution', async () => {
    const ns = newNamespace();
    // A kernel set that holds 3 addresses: the 4th and 5th adds fail in the kernel.
    inNs(ns, ['nft', '-f', '-'], {
      input: 'add table inet riposte\nadd set inet riposte blocked4 { type ipv4_addr; size 3; }\n',
    });
    const home = newHome();
    const d = await startAgent(ns, home);
    const repeated = Array.from({ length: 5 }, () => arMessage('firewall-drop600', '10.77.0.200'));
    const distinct = [1, 2, 3, 4].map((i) => arMessage('firewall-drop600', ip(i)));
    await sendAll(d, [...repeated, ...distinct], 9);
    await poll('nine executions recorded', 20_000, async () => {
      const list = await d.api().call<{ items: { status: string }[] }>('GET', '/executions?limit=20');
      return list.items.length >= 9 && list.items.every((i) => i.status !== 'running');
    });
    await d.stop();
    const { executions, active } = records(home);
    const mine = executions.filter((e) => e.key === 'firewall-drop-10.77.0.200');
    assert.equal(mine.filter((e) => e.action === 'add').length, 1, 'one continue');
    assert.equal(mine.filter((e) => e.action === 'abort').length, 4, 'the rest abort');
    const inSet = kernelSet(ns);
    assert.equal(inSet.size, 3, 'the set is full');
    const adds = executions.filter((e) => e.action === 'add');
    assert.equal(adds.length, 5);
    for (const e of adds) {
      const enforced = e.srcip !== undefined && inSet.has(e.srcip);
      assert.equal(e.status, enforced ? 'ok' : 'failed', `${e.srcip ?? ''}: recorded as what happened`);
      assert.equal(active.has(e.key ?? ''), enforced, `${e.srcip ?? ''}: active only when enforced`);
    }
    assert.equal(adds.filter((e) => e.status === 'failed').length, 2);
  });

  test('kill -9 in the middle of a burst, restart: every continue is active, enforced and armed, once', async () => {
    const ns = newNamespace();
    const home = newHome();
    let d = await startAgent(ns, home);
    const burst = Array.from({ length: 1500 }, (_, i) => arMessage('firewall-drop600', ip(i + 1)));
    const sending = sendAll(d, burst).catch(() => undefined);
    await waitFor('the burst to be under way', 60_000, () => (kernelSet(ns).size >= 100 ? true : undefined));
    await d.kill9();
    await sending;
    d = await startAgent(ns, home);
    await d.stop();
    const { executions, active } = records(home);
    // Answered continue = an add decided "started": its start record carries the key (written in
    // the same transaction as the active response, before the answer).
    const continued = new Set(
      executions.filter((e) => e.action === 'add' && e.key !== undefined).map((e) => e.key ?? ''),
    );
    assert.ok(continued.size >= 100, `${continued.size} adds answered continue`);
    const inSet = kernelSet(ns);
    for (const key of continued) {
      assert.ok(active.has(key), `${key} is active after the restart`);
      assert.ok(inSet.has(active.get(key) ?? ''), `${key} is in the kernel set`);
    }
    assert.equal(active.size, continued.size, 'nothing active that was not answered continue');
    const restored = daemonLog(home).filter((l) => l.msg.startsWith('Restored active responses:'));
    assert.equal(restored.length, 2);
    assert.match(restored[1]?.msg ?? '', new RegExp(`^Restored active responses: ${active.size} armed`));
    assertNoneTwice(executions, active);
  });
});
