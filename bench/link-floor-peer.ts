/**
 * One process of the link-traffic baseline (link-floor.ts): the transport of the manager link and
 * nothing else. No Riposte code runs here: no store, no matching, no bus, no link protocol state.
 *
 * argv[2]: JSON {role: 'server', cert, key, ca, frameBytes} or {role: 'clients', ports, count, cert,
 * key, ca}.
 *
 * - server: an HTTPS server asking for client certificates (mutual TLS, as the link), with ws's
 *   WebSocketServer on it; prints "port N". On stdin "send N": sends N frames of `frameBytes`
 *   bytes round-robin over its connections in chunks of 500 in one event-loop turn (a POST's
 *   orders), as fast as acks leave room for at most one frame not acked per connection, then
 *   prints "done" once all are acked.
 * - clients: `count` WebSockets over `ports` (round-robin), each its own TLS connection with the
 *   client certificate and a zero masking key (the real agent's); the frames one connection gets
 *   in one turn are acked at the turn's end by one frame (the real agent's settle step). Prints
 *   "open" once all are open.
 *
 * "exit" on stdin, or stdin closing, ends the process.
 */
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import readline from 'node:readline';
import WebSocket, { WebSocketServer } from 'ws';

interface Tls {
  readonly cert: string;
  readonly key: string;
  readonly ca: string;
}

type Args = (Tls & { readonly role: 'server'; readonly frameBytes: number }) | (Tls & ClientArgs);

interface ClientArgs {
  readonly role: 'clients';
  readonly ports: readonly number[];
  readonly count: number;
}

const CHUNK = 500;

function onLines(handle: (line: string) => void): void {
  const rl = readline.createInterface({ input: process.stdin });
  rl.on('line', (line) => {
    if (line === 'exit') {
      process.exit(0);
    }
    handle(line);
  });
  rl.on('close', () => process.exit(0));
}

/** A frame of exactly `bytes` bytes (ASCII) carrying `seq`, shaped like an order frame. */
function frame(seq: number, bytes: number): string {
  const head = `{"type":"order","seq":${seq},"kind":"add","payload":"`;
  return head + 'x'.repeat(Math.max(0, bytes - head.length - 2)) + '"}';
}

/** How many seqs an ack frame acknowledges: `ack` one, `acks` its list. */
function ackedBy(text: string): number {
  const v = JSON.parse(text) as { type?: unknown; seqs?: unknown };
  return v.type === 'acks' && Array.isArray(v.seqs) ? v.seqs.length : 1;
}

function server(a: Tls & { frameBytes: number }): void {
  const https = createServer({
    cert: a.cert,
    key: a.key,
    ca: a.ca,
    requestCert: true,
    rejectUnauthorized: true,
  });
  const wss = new WebSocketServer({ server: https });
  const conns: WebSocket[] = [];
  let target = 0;
  let sent = 0;
  let acked = 0;
  let pumping = false;
  const pump = (): void => {
    if (pumping) {
      return;
    }
    pumping = true;
    const step = (): void => {
      // A whole chunk or none (a POST's orders go out together), while every agent would still
      // have at most one frame not acked (round-robin: a connection's next frame comes
      // conns.length frames later), as in the ingest, where an agent gets one order in 5,000.
      const n = sent - acked + CHUNK <= Math.max(CHUNK, conns.length) ? Math.min(CHUNK, target - sent) : 0;
      if (n <= 0) {
        pumping = false;
        return;
      }
      for (let i = 0; i < n; i++) {
        const seq = sent + i;
        conns[seq % conns.length]?.send(frame(seq, a.frameBytes));
      }
      sent += n;
      setImmediate(step); // the next chunk in the next turn, as the next POST's orders
    };
    step();
  };
  wss.on('connection', (ws) => {
    conns.push(ws);
    ws.on('message', (data: Buffer) => {
      acked += ackedBy(data.toString('utf8'));
      if (target > 0 && acked >= target) {
        target = 0;
        process.stdout.write('done\n');
      } else {
        pump();
      }
    });
  });
  https.listen(0, '127.0.0.1', () => {
    process.stdout.write(`port ${(https.address() as AddressInfo).port}\n`);
  });
  onLines((line) => {
    const [cmd, n] = line.split(' ');
    if (cmd === 'send' && conns.length > 0) {
      target = Number(n);
      sent = 0;
      acked = 0;
      pump();
    }
  });
}

/** Connections being opened at once by one client process (5,000 at once overflow the accept queues). */
const OPENING = 50;
/** Attempts to open one connection (a refused or reset handshake is tried again). */
const ATTEMPTS = 5;

/** Acks what one turn brought on `ws` with one frame at the turn's end (the real agent's settle step). */
function ackTurns(ws: WebSocket): void {
  let turn: number[] = [];
  ws.on('message', (data: Buffer) => {
    if (turn.push((JSON.parse(data.toString('utf8')) as { seq: number }).seq) === 1) {
      setImmediate(() => {
        ws.send(
          turn.length === 1
            ? `{"type":"ack","seq":${turn[0] ?? 0}}`
            : `{"type":"acks","seqs":[${turn.join(',')}]}`,
        );
        turn = [];
      });
    }
  });
}

function clients(a: Tls & ClientArgs): void {
  let open = 0;
  let next = 0;
  const connect = (i: number, attempt: number): void => {
    const ws = new WebSocket(`wss://127.0.0.1:${a.ports[i % a.ports.length] ?? 0}/`, {
      cert: a.cert,
      key: a.key,
      ca: a.ca,
      generateMask: (mask: Buffer) => mask.fill(0),
    });
    let opened = false;
    ws.on('open', () => {
      opened = true;
      ackTurns(ws);
      if (++open === a.count) {
        process.stdout.write('open\n');
      }
      if (next < a.count) {
        connect(next++, 1);
      }
    });
    ws.on('error', (err) => {
      if (opened || attempt >= ATTEMPTS) {
        process.stderr.write(`link-floor client: ${err.message}\n`);
        process.exit(1);
      }
      setTimeout(() => {
        connect(i, attempt + 1);
      }, 100 * attempt);
    });
  };
  while (next < Math.min(OPENING, a.count)) {
    connect(next++, 1);
  }
  onLines(() => undefined);
}

const args = JSON.parse(process.argv[2] ?? '{}') as Args;
if (args.role === 'server') {
  server(args);
} else {
  clients(args);
}
