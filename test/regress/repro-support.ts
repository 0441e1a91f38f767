/**
 * Pieces of the issue 13 repro driver (test/regress/issue13-repro.ts) that hold no daemon state:
 * the config, fixture script text, message builders, bounded polling. Imports nothing from the
 * project, so the driver still runs against any build.
 */
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import path from 'node:path';
import unixDgram from 'unix-dgram';
export const CONFIG = `<ossec_config>
  <global><white_list>10.1.2.3</white_list></global>
  <command><name>mark</name><executable>mark</executable><timeout_allowed>yes</timeout_allowed></command>
  <command><name>markx</name><executable>markx</executable><timeout_allowed>yes</timeout_allowed></command>
  <command><name>markapi</name><executable>markapi</executable><timeout_allowed>yes</timeout_allowed></command>
  <active-response><command>mark</command><location>local</location><rules_id>100002</rules_id><timeout>600</timeout></active-response>
  <command><name>quarantine</name><executable>quarantine</executable><timeout_allowed>yes</timeout_allowed></command>
  <active-response><command>quarantine</command><location>local</location><rules_id>999997</rules_id><timeout>600</timeout></active-response>
  <active-response><command>markx</command><location>local</location><rules_id>999998</rules_id><timeout>600</timeout></active-response>
  <command><name>slow</name><executable>slow</executable><timeout_allowed>yes</timeout_allowed></command>
  <active-response><command>slow</command><location>local</location><rules_id>999996</rules_id><timeout>600</timeout></active-response>
  <active-response><command>markapi</command><location>local</location><rules_id>999999</rules_id><timeout>600</timeout></active-response>
</ossec_config>
`;

export const deep = (depth: number): string => `${'{"a":'.repeat(depth - 1)}{}${'}'.repeat(depth - 1)}`;

export const deepAlertLine = (srcip: string, depth: number): string =>
  alertLine(srcip).replace(`"data":{`, `"data":{"x":${deep(depth)},`);
let n = 0;
export const alertLine = (srcip: string): string =>
  JSON.stringify({
    timestamp: '2026-11-20T08:15:17.123+0000',
    rule: { level: 10, description: 'test', id: '100002', groups: ['test'] },
    agent: { id: '000', name: 'host-000' },
    id: `1763626517.${++n}`,
    data: { srcip },
  });

export async function poll(ms: number, probe: () => boolean): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (probe()) {
      return true;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return probe();
}

export interface Answer {
  status: number;
  text: string;
}

/** `slow`: like `mark`, but after "continue" it notes `continue <srcip>`, works 4 s, then notes the add. */
export const SLOW = `#!/usr/bin/env node
(async () => {
  const fs = await import('node:fs');
  const readline = await import('node:readline');
  const lines = readline.createInterface({ input: process.stdin, terminal: false })[Symbol.asyncIterator]();
  const mark = (text) => fs.appendFileSync('marks.log', text + '\\n');
  const msg = JSON.parse((await lines.next()).value);
  const srcip = msg.parameters.alert?.data?.srcip ?? '-';
  if (msg.command === 'delete') { mark('delete ' + srcip); process.exit(0); }
  const origin = { name: 'slow', module: 'active-response' };
  process.stdout.write(JSON.stringify({ version: 1, origin, command: 'check_keys', parameters: { keys: [srcip] } }) + '\\n');
  const reply = (await lines.next()).value;
  if ((reply ? JSON.parse(reply).command : undefined) !== 'continue') process.exit(0);
  mark('continue ' + srcip);
  setTimeout(() => { mark('add ' + srcip); process.exit(0); }, 4000);
})();
`;

export const arMessage = (cmd: string, srcip: string): string =>
  `{"version":1,"origin":{"name":"t","module":"t"},"command":"${cmd}","parameters":{"extra_args":[],"alert":{"data":{"srcip":"${srcip}"}}}}`;

/** The `items` array of a list answer (both versions answer `{ items, ... }`). */
export function items(a: Answer): Record<string, unknown>[] {
  try {
    const v = JSON.parse(a.text) as { items?: Record<string, unknown>[] };
    return v.items ?? [];
  } catch {
    return [];
  }
}

/** A field of an API answer as text. */
export const txt = (v: unknown): string =>
  typeof v === 'string' ? v : v === undefined || v === null ? '' : JSON.stringify(v);

export function sendTo(socketPath: string, text: string): Promise<string> {
  const socket = unixDgram.createSocket('unix_dgram');
  const buf = Buffer.from(text);
  return new Promise((resolve) => {
    socket.send(buf, 0, buf.length, socketPath, (err?: Error) => {
      socket.close();
      resolve(err === undefined ? 'sent' : `send error ${String(err)}`);
    });
  });
}

/** One HTTPS call to the daemon's API on loopback (admin bearer token unless `auth` is false). */
export function callApi(
  daemon: {
    readonly home: string;
    readonly port: number;
    readonly type?: string;
    readonly auth?: boolean;
  },
  method: string,
  urlPath: string,
  payload: string,
): Promise<Answer> {
  const { type = 'application/json', auth = true } = daemon;
  const ca = readFileSync(path.join(daemon.home, 'etc', 'pki', 'ca.pem'));
  const token = readFileSync(path.join(daemon.home, 'var', 'admin.token'), 'utf8').trim();
  return new Promise((resolve) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: daemon.port,
        method,
        path: urlPath,
        ca,
        checkServerIdentity: () => undefined,
        headers: { ...(auth ? { authorization: `Bearer ${token}` } : {}), 'content-type': type },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() });
        });
      },
    );
    req.on('error', (e) => {
      resolve({ status: 0, text: String(e) });
    });
    req.end(payload);
  });
}
