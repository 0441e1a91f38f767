/**
 * What the two three-node tests share (three-nodes.test.ts: nodes run by node-main.ts, agents by
 * agent-child; three-nodes-cli.test.ts: the real `riposte manager` and `riposte agent` commands):
 * the rule set, enrolling the three agents with every node's address (agent i lists node i first,
 * so the three start on three different nodes), starting them one by one on their first node
 * (until the store has each one's hello), the "Agent X connected" count in a node's log, fresh
 * alert addresses, and the exactly-once check of the orders sent (one "add IP" mark per alert per
 * agent).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { MAIN, api, marks, waitFor, type Proc } from '../../manager/support/fleet.js';

/** Rule 100003 runs `mark` on every agent (location all): one order per agent per alert. */
export const THREE_NODES_CONFIG = `<ossec_config>
  <command><name>mark</name><executable>mark</executable><timeout_allowed>yes</timeout_allowed></command>
  <active-response><command>mark</command><location>all</location><rules_id>100003</rules_id><timeout>600</timeout></active-response>
</ossec_config>
`;

export interface ClusterAgent {
  readonly id: string;
  readonly home: string;
  proc?: Proc;
}

/** `<home>/logs/riposte.log` ('' before it exists). */
export function logOf(home: string): string {
  const file = path.join(home, 'logs', 'riposte.log');
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
}

/** How many times the log of the node at `home` says agent `id` connected. */
export function connects(home: string, id: string): number {
  return logOf(home)
    .split('\n')
    .filter((l) => l.includes(`Agent ${id} connected`)).length;
}

export interface EnrollThree {
  readonly root: string;
  /** The nodes' link ports, in node order. */
  readonly ports: readonly number[];
  /** The password file agent i enrolls with. */
  passwordFile(i: number): string;
  /** The CA fingerprint agent i pins (`--ca-fingerprint`), if any. */
  caFingerprint?(i: number): string;
  /** spawnSync's timeout for each `riposte agent enroll`, if any. */
  readonly timeoutMs?: number;
}

/** One `riposte agent enroll` of the agent at `home`, as a user runs it. */
export interface EnrollOne {
  readonly home: string;
  readonly name: string;
  /** `--manager`: the node addresses in the agent's order (`host:port,host:port`). */
  readonly managers: string;
  readonly passwordFile: string;
  /** `--ca-fingerprint`, if any. */
  readonly caFingerprint?: string;
  /** spawnSync's timeout, if any. */
  readonly timeoutMs?: number;
}

/** Runs `riposte agent enroll` (it must succeed); returns the agent. */
export function enrollAgent(e: EnrollOne): ClusterAgent {
  const pin = e.caFingerprint === undefined ? [] : ['--ca-fingerprint', e.caFingerprint];
  const r = spawnSync(
    process.execPath,
    [
      MAIN,
      'agent',
      'enroll',
      '--manager',
      e.managers,
      '--name',
      e.name,
      '--home',
      e.home,
      '--password-file',
      e.passwordFile,
      ...pin,
    ],
    { encoding: 'utf8', ...(e.timeoutMs !== undefined ? { timeout: e.timeoutMs } : {}) },
  );
  assert.equal(r.status, 0, `agent enroll ${e.managers}: ${r.stdout}${r.stderr}`);
  const { id } = JSON.parse(readFileSync(path.join(e.home, 'etc', 'pki', 'agent.json'), 'utf8')) as {
    id: string;
  };
  return { id, home: e.home };
}

/**
 * Enrolls agents 0..2 (`<root>/agent-<i>`, name host-<i>) with `riposte agent enroll --manager
 * A,B,C`: agent i lists node i first, then the others in node order.
 */
export function enrollThree(e: EnrollThree): ClusterAgent[] {
  return [0, 1, 2].map((i) =>
    enrollAgent({
      home: path.join(e.root, `agent-${i}`),
      name: `host-${i}`,
      managers: [0, 1, 2].map((k) => `127.0.0.1:${e.ports[(i + k) % 3] ?? 0}`).join(','),
      passwordFile: e.passwordFile(i),
      ...(e.caFingerprint !== undefined ? { caFingerprint: e.caFingerprint(i) } : {}),
      ...(e.timeoutMs !== undefined ? { timeoutMs: e.timeoutMs } : {}),
    }),
  );
}

export interface StartOnNodes {
  readonly start: (home: string) => Promise<Proc>;
  /** Node i's home (its log says who connected). */
  nodeHome(i: number): string;
  /** Node i as the wait's description names it. */
  nodeName(i: number): string;
  /** A node whose REST API says when the store has an agent's hello (see {@link helloRecorded}). */
  readonly apiNode: { readonly port: number; readonly home: string };
  readonly timeoutMs: number;
}

/**
 * Whether the REST API of the node at `m` (the admin token and CA read from `m.home`) lists agent
 * `id` with a last sign of life: the store has its hello. Another node reads the agents' presence
 * from the store, and an agent that never connected before is not active there (Wazuh's `all` is
 * the active agents) until its hello's transaction commits, moments after the link opened.
 */
async function helloRecorded(m: { port: number; home: string }, id: string): Promise<boolean> {
  const r = await api(m, 'GET', '/agents').catch(() => undefined);
  const items = (r?.body as { items?: { id: string; lastSeen?: unknown }[] } | undefined)?.items ?? [];
  return items.some((x) => x.id === id && x.lastSeen !== undefined && x.lastSeen !== null);
}

/**
 * Starts each agent, one by one, and waits until node i's log says agent i connected and the store
 * has its hello (`apiNode`'s API says so): alerts sent before that to another node would plan no
 * order for it.
 */
export async function startOnTheirNodes(agents: readonly ClusterAgent[], s: StartOnNodes): Promise<void> {
  for (const [i, a] of agents.entries()) {
    a.proc = await s.start(a.home);
    await waitFor(
      `agent ${a.id} on node ${s.nodeName(i)}`,
      s.timeoutMs,
      () => connects(s.nodeHome(i), a.id) > 0 || undefined,
    );
    await waitFor(`the hello of agent ${a.id} in the store`, s.timeoutMs, async () =>
      (await helloRecorded(s.apiNode, a.id)) ? true : undefined,
    );
  }
}

/** The source addresses of the alerts sent so far, one per alert (each a new order per agent). */
export class SentOrders {
  readonly ips: string[] = [];
  private n = 0;
  /** How many of `ips` an earlier `allDelivered` waited for (each call waits for the rest). */
  private awaited = 0;

  /** A fresh source address for the next alert, and its alert number. */
  next(): { ip: string; n: number } {
    this.n += 1;
    return { ip: `198.51.${Math.floor(this.n / 250)}.${(this.n % 250) + 1}`, n: this.n };
  }

  /** Records an alert as sent (its order expected once on every agent). */
  sent(ip: string): void {
    this.ips.push(ip);
  }

  /**
   * Waits until every agent ran every order sent since the previous call (so one test's missing
   * order fails that test, not every test after it too), then checks over the whole run that no
   * agent ran an order twice or one never sent. A timeout's message says what each agent lacks
   * (how many, and the first alerts' addresses, in the order sent), then `context()` if given.
   */
  async allDelivered(
    agents: readonly ClusterAgent[],
    what: string,
    timeoutMs: number,
    context?: () => string,
  ): Promise<void> {
    const expected = this.ips.slice(this.awaited);
    this.awaited = this.ips.length;
    const missing = (a: ClusterAgent): string[] => {
      const got = new Set(marks(a.home));
      return expected.filter((ip) => !got.has(`add ${ip}`));
    };
    await waitFor(what, timeoutMs, () => agents.every((a) => missing(a).length === 0) || undefined).catch(
      (e: unknown) => {
        const lacks = agents.map((a) => {
          const m = missing(a);
          return `agent ${a.id} lacks ${m.length}${m.length > 0 ? ` (${m.slice(0, 5).join(', ')})` : ''}`;
        });
        throw new Error(`${String(e)}; ${lacks.join(', ')}${context === undefined ? '' : `; ${context()}`}`);
      },
    );
    const sent = new Set(this.ips.map((ip) => `add ${ip}`));
    for (const a of agents) {
      const counts = new Map<string, number>();
      for (const l of marks(a.home)) {
        counts.set(l, (counts.get(l) ?? 0) + 1);
      }
      const twice = [...counts].filter(([, c]) => c > 1).map(([l, c]) => `${l} x${c}`);
      assert.deepEqual(twice, [], `agent ${a.id} ran an order more than once`);
      const stray = [...counts.keys()].filter((l) => !sent.has(l));
      assert.deepEqual(stray, [], `agent ${a.id} ran orders never sent`);
    }
  }
}
