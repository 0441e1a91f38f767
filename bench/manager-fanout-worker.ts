/**
 * One process of simulated agents for `bench/manager-fanout.ts`: enrolls COUNT agents over
 * HTTPS (the real /enroll), opens one real mTLS WebSocket per agent, speaks the real link protocol
 * (hello, active-list, ack) and records when each order arrives (the ack is sent at once).
 *
 * argv[2]: JSON {port, password, ca, count, prefix}. stdout: "connected", then "seq-done N" once
 * every agent of this process got order N; on stdin "report" it prints one JSON line of
 * [seq, arrivalMs] pairs (arrivalMs = performance.timeOrigin + performance.now()), on "exit" it exits.
 */
import { request } from 'node:https';
import { performance } from 'node:perf_hooks';
import type { ConnectionOptions } from 'node:tls';
import WebSocket from 'ws';
import { encodeFrame, parseManagerFrame } from '../src/protocol/link.js';
import { errorMessage } from '../src/protocol/error-message.js';

interface Args {
  readonly port: number;
  readonly password: string;
  readonly ca: string;
  readonly count: number;
  readonly prefix: string;
}

const args = JSON.parse(process.argv[2] ?? '{}') as Args;
const arrivals: [number, number][] = [];
const perSeq = new Map<number, number>();
const sockets: WebSocket[] = [];

function enroll(name: string): Promise<{ cert: string; key: string }> {
  const body = JSON.stringify({ name, password: args.password });
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: args.port,
        method: 'POST',
        path: '/enroll',
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
          resolve(JSON.parse(text) as { cert: string; key: string });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function onOrder(seq: number): void {
  arrivals.push([seq, performance.timeOrigin + performance.now()]);
  const n = (perSeq.get(seq) ?? 0) + 1;
  perSeq.set(seq, n);
  if (n === args.count) {
    process.stdout.write(`seq-done ${seq}\n`);
  }
}

function connect(creds: { cert: string; key: string }): Promise<void> {
  const options: WebSocket.ClientOptions & ConnectionOptions = {
    ca: args.ca,
    cert: creds.cert,
    key: creds.key,
  };
  (options as ConnectionOptions).checkServerIdentity = () => undefined;
  const ws = new WebSocket(`wss://127.0.0.1:${args.port}/link`, options);
  sockets.push(ws);
  return new Promise((resolve, reject) => {
    ws.on('open', () => {
      ws.send(encodeFrame({ type: 'hello', version: 'bench', lastOrderSeq: 0, disabled: false }));
    });
    ws.on('message', (data: Buffer) => {
      const parsed = parseManagerFrame(data.toString('utf8'));
      if (!parsed.ok) {
        return;
      }
      const f = parsed.frame;
      if (f.type === 'welcome') {
        ws.send(encodeFrame({ type: 'active-list', items: [] }));
        resolve();
      } else if (f.type === 'order') {
        // `orders` batches go only to agents whose hello asks for them; these do not.
        ws.send(encodeFrame({ type: 'ack', seq: f.seq }));
        onOrder(f.seq);
      }
    });
    ws.on('error', reject);
  });
}

async function main(): Promise<void> {
  const creds: { cert: string; key: string }[] = [];
  for (let i = 0; i < args.count; i += 10) {
    const batch = Array.from({ length: Math.min(10, args.count - i) }, (_, j) =>
      enroll(`${args.prefix}-${i + j}`),
    );
    creds.push(...(await Promise.all(batch)));
  }
  for (let i = 0; i < creds.length; i += 50) {
    await Promise.all(creds.slice(i, i + 50).map(connect));
  }
  process.stdout.write('connected\n');
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (text: string) => {
    if (text.includes('report')) {
      process.stdout.write(`report ${JSON.stringify(arrivals)}\n`);
    }
    if (text.includes('exit')) {
      sockets.forEach((s) => {
        s.terminate();
      });
      process.exit(0);
    }
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`${errorMessage(err)}\n`);
  process.exit(1);
});
