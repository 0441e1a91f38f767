/**
 * One process of simulated agents for `bench/cluster-nodes.ts`: enrolls COUNT agents over HTTPS
 * (the real `POST /enroll` of one node: enrollment is set-up, not measured), then opens
 * one real mTLS WebSocket per agent to its first manager node and speaks the real link protocol
 * (hello with the last applied seq, active-list, ack of every order on arrival; no script runs).
 * As the real agent (src/link/agent-link-session.ts, agent-connector.ts): its hello offers batch
 * frames (`batches`), so a node sends it several orders in one `orders` frame when it has several
 * in one turn; the orders that arrive in one event-loop turn are acked together at its end (the
 * real agent's settle step: one `ack` frame for one order, an `acks` frame for several, built by
 * the same ackFrames/frameTexts); and it sends with a zero WebSocket masking key.
 *
 * Several managers, as a real agent (src/link/agent-connector.ts): agent i of the fleet lists the
 * nodes starting at node (i mod NODES), the other two in alternating order (so a dead node's
 * agents spread over the survivors); after a close it dials the next address after the same
 * full-jitter delay (src/link/backoff.ts, round 0: < 1 s), growing per full round of failures,
 * offering the last TLS session ticket it got (resumption on any node, as the real agent does;
 * RIPOSTE_BENCH_TLS_RESUME=0 dials without, for an A/B).
 *
 * argv[2]: JSON {enrollPort, ports, password, ca, count, first, prefix}. stdout lines:
 * "enrolled", "connected IDS" (JSON agent ids), "tag-done TAG" once every agent of this process
 * got an order whose alert id is TAG, "settled N" answering "settle N" on stdin (N = a request
 * number) once no order arrived for 500 ms, and "report JSON" answering "report" on stdin:
 * {arrivals: {TAG: [arrivalMs...]}, failovers: [[closedAtMs, welcomedAtMs, node, resumed]...], orders,
 * pings} (pings: the nodes' heartbeat pings received so far, each answered with a pong)
 * (times are performance.timeOrigin + performance.now()). "exit" on stdin, or stdin closing, ends it.
 */
import { Agent as HttpsAgent, request } from 'node:https';
import { performance } from 'node:perf_hooks';
import { createSecureContext, type ConnectionOptions, type SecureContext, type TLSSocket } from 'node:tls';
import WebSocket from 'ws';
import { encodeFrame, parseManagerFrame, type OrderFrame } from '../src/protocol/link.js';
import { ackFrames, frameTexts } from '../src/protocol/link-pack.js';
import { backoffDelay } from '../src/link/backoff.js';
import { ticketKeepingConnect } from '../src/link/agent-connector.js';
import { errorMessage } from '../src/protocol/error-message.js';

const RESUME = process.env['RIPOSTE_BENCH_TLS_RESUME'] !== '0';
/**
 * RIPOSTE_BENCH_AGENT_ACKS=0: orders are taken and counted but never acked (a decomposition of the
 * ingest phase: what delivery costs without the acks, bench/cluster-nodes.ts). Not the protocol:
 * the nodes keep the orders queued and would re-send them after a reconnect.
 */
const AGENT_ACKS = process.env['RIPOSTE_BENCH_AGENT_ACKS'] !== '0';

/** ws's masking key generator, all zero, as the real agent's (src/link/agent-connector.ts). */
function zeroMask(mask: Buffer): void {
  mask.fill(0);
}

interface Args {
  readonly enrollPort: number;
  readonly ports: readonly number[];
  readonly password: string;
  readonly ca: string;
  readonly count: number;
  /** Index of this process's first agent in the whole fleet (picks each agent's first node). */
  readonly first: number;
  readonly prefix: string;
}

interface Creds {
  readonly id: string;
  readonly cert: string;
  readonly key: string;
}

interface Agent {
  readonly creds: Creds;
  /**
   * Its TLS context (CA, certificate, key), built once: a dial then costs the handshake only, not
   * a parse of three PEM texts (the simulator's CPU is taken from the nodes it measures).
   */
  readonly tls: SecureContext;
  readonly order: readonly number[];
  /** The last TLS session ticket received (offered on the next dial). */
  session: Buffer | undefined;
  attempt: number;
  node: number;
  lastSeq: number;
  ws: WebSocket | undefined;
  closedAt: number | undefined;
  /** Seqs received in this event-loop turn, acked at its end (see ackTurn). */
  acks: number[];
}

const args = JSON.parse(process.argv[2] ?? '{}') as Args;
const now = (): number => performance.timeOrigin + performance.now();
const arrivals = new Map<string, number[]>();
/** [closedAtMs, welcomedAtMs, node, 1 when the TLS session was resumed else 0]. */
const failovers: [number, number, number, number][] = [];
let orders = 0;
/** Heartbeat pings received from the nodes (each answered with a pong by ws). */
let pings = 0;
let lastArrival = 0;
let stopping = false;
/** One kept-alive TLS connection per concurrent enrollment, not one handshake per agent. */
const keepAlive = new HttpsAgent({ keepAlive: true, maxSockets: 10 });

function enroll(name: string): Promise<Creds> {
  const body = JSON.stringify({ name, password: args.password });
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: args.enrollPort,
        method: 'POST',
        path: '/enroll',
        agent: keepAlive,
        ca: args.ca,
        checkServerIdentity: () => undefined,
        headers: { 'content-type': 'application/json' },
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => {
          if (res.statusCode !== 201) {
            reject(new Error(`enroll ${name}: ${res.statusCode ?? 0} ${text}`));
            return;
          }
          resolve(JSON.parse(text) as Creds);
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** The bench's alert ids (fan-N, ing-N, fail-N) as they appear in an add order's message. */
const TAG_RE = /"id":"((?:fan|ing|fail)-\d+)"/;

/**
 * The alert id carried by an add order's message (Wazuh AR JSON: parameters.alert.id), found by a
 * search rather than a parse of the whole message: the simulator's per-order work is kept small,
 * since on this machine its CPU is taken from the nodes it measures.
 */
function tagOf(message: string): string {
  return TAG_RE.exec(message)?.[1] ?? '';
}

/**
 * Counts an order; its arrival time is kept per tag for the fan-out and failover alerts (the
 * bench reads those), not for the ingest's one-order alerts (`ing-`: only counted).
 */
function onOrder(tag: string): void {
  orders++;
  const t = now();
  lastArrival = t;
  if (tag.startsWith('ing-')) {
    return;
  }
  const list = arrivals.get(tag) ?? [];
  list.push(t);
  arrivals.set(tag, list);
  if (list.length === args.count) {
    process.stdout.write(`tag-done ${tag}\n`);
  }
}

/** Agents with acks to send at the end of this turn. */
let acking: Agent[] = [];

/**
 * The end of an event-loop turn (setImmediate, as the real agent's settle): each agent's orders of
 * the turn acked in one `ack` / `acks` frame.
 */
function ackTurn(): void {
  const list = acking;
  acking = [];
  for (const a of list) {
    const seqs = a.acks;
    a.acks = [];
    const ws = a.ws;
    if (ws === undefined || ws.readyState !== WebSocket.OPEN) {
      continue; // closed meanwhile: the node re-sends the unacked orders after the next hello
    }
    for (const frame of ackFrames(seqs)) {
      for (const text of frameTexts(frame)) {
        ws.send(text);
      }
    }
  }
}

/** An order frame arrived at `a`: ack it at the end of the turn; count it once. */
function takeOrder(a: Agent, f: OrderFrame): void {
  if (AGENT_ACKS && a.acks.push(f.seq) === 1 && acking.push(a) === 1) {
    setImmediate(ackTurn);
  }
  if (f.seq > a.lastSeq) {
    a.lastSeq = f.seq;
    onOrder(f.kind === 'add' ? tagOf(f.message) : '');
  }
}

/** Opens the link of `a` to its current node; resolves on welcome, rejects if it closes first. */
function dial(a: Agent): Promise<void> {
  const port = args.ports[a.order[a.node % a.order.length] ?? 0] ?? 0;
  const options: WebSocket.ClientOptions & ConnectionOptions = {
    secureContext: a.tls,
    generateMask: zeroMask,
  };
  (options as ConnectionOptions).checkServerIdentity = () => undefined;
  let socket: TLSSocket | undefined;
  if (RESUME) {
    if (a.session !== undefined) {
      options.session = a.session;
    }
    const connect = ticketKeepingConnect((s) => {
      a.session = s;
    });
    options.createConnection = ((o: ConnectionOptions) => {
      socket = connect(o);
      return socket;
    }) as unknown as WebSocket.ClientOptions['createConnection'];
  }
  const ws = new WebSocket(`wss://127.0.0.1:${port}/link`, options);
  a.ws = ws;
  return new Promise((resolve, reject) => {
    let welcomed = false;
    let resumed = 0;
    ws.on('upgrade', () => {
      resumed = socket?.isSessionReused() === true ? 1 : 0;
    });
    ws.on('open', () => {
      ws.send(
        encodeFrame({
          type: 'hello',
          version: 'bench',
          lastOrderSeq: a.lastSeq,
          disabled: false,
          batches: true,
        }),
      );
    });
    ws.on('message', (data: Buffer) => {
      const parsed = parseManagerFrame(data.toString('utf8'));
      if (!parsed.ok) {
        return;
      }
      const f = parsed.frame;
      if (f.type === 'welcome') {
        welcomed = true;
        a.attempt = 0;
        ws.send(encodeFrame({ type: 'active-list', items: [] }));
        if (a.closedAt !== undefined) {
          failovers.push([a.closedAt, now(), a.order[a.node % a.order.length] ?? -1, resumed]);
          a.closedAt = undefined;
        }
        resolve();
        return;
      }
      if (f.type === 'orders') {
        for (const o of f.orders) {
          takeOrder(a, o);
        }
        return;
      }
      takeOrder(a, f);
    });
    ws.on('ping', () => {
      pings++;
    });
    ws.on('error', () => undefined);
    ws.on('close', () => {
      if (!welcomed) {
        reject(new Error('closed before welcome'));
      }
      if (a.ws === ws && !stopping) {
        a.ws = undefined;
        a.closedAt ??= now();
        redial(a);
      }
    });
  });
}

/** After a close: the next address, after the real agent's full-jitter delay. */
function redial(a: Agent): void {
  a.node++;
  const round = Math.floor(a.attempt / a.order.length);
  a.attempt++;
  setTimeout(
    () => {
      dial(a).catch(() => undefined); // a failed dial closes, and its close handler redials
    },
    backoffDelay(round, Math.random),
  );
}

function nodeOrder(i: number): number[] {
  const n = args.ports.length;
  const home = (args.first + i) % n;
  const rest = Array.from({ length: n - 1 }, (_, k) => (home + 1 + k) % n);
  return [home, ...(i % 2 === 0 ? rest : rest.reverse())];
}

function report(): string {
  return JSON.stringify({ arrivals: Object.fromEntries(arrivals), failovers, orders, pings });
}

async function main(): Promise<void> {
  const creds: Creds[] = [];
  for (let i = 0; i < args.count; i += 10) {
    const batch = Array.from({ length: Math.min(10, args.count - i) }, (_, j) =>
      enroll(`${args.prefix}-${i + j}`),
    );
    creds.push(...(await Promise.all(batch)));
  }
  keepAlive.destroy();
  process.stdout.write('enrolled\n');
  const agents: Agent[] = creds.map((c, i) => ({
    creds: c,
    tls: createSecureContext({ ca: args.ca, cert: c.cert, key: c.key }),
    order: nodeOrder(i),
    session: undefined,
    attempt: 0,
    node: 0,
    lastSeq: 0,
    ws: undefined,
    closedAt: undefined,
    acks: [],
  }));
  for (let i = 0; i < agents.length; i += 50) {
    await Promise.all(agents.slice(i, i + 50).map(dial));
  }
  process.stdout.write(`connected ${JSON.stringify(creds.map((c) => c.id))}\n`);
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (text: string) => {
    for (const line of text.split('\n')) {
      const [cmd, arg] = line.trim().split(' ');
      if (cmd === 'report') {
        process.stdout.write(`report ${report()}\n`);
      } else if (cmd === 'settle') {
        const check = setInterval(() => {
          if (now() - lastArrival >= 500) {
            clearInterval(check);
            process.stdout.write(`settled ${arg ?? ''}\n`);
          }
        }, 100);
      } else if (cmd === 'exit') {
        quit();
      }
    }
  });
}

function quit(): void {
  stopping = true;
  process.exit(0);
}

process.stdin.on('end', quit);
main().catch((err: unknown) => {
  process.stderr.write(`${errorMessage(err)}\n`);
  process.exit(1);
});
