/**
 * Helper run inside the benchmark's network namespace (where the manager listens on loopback):
 * POSTs NDJSON bodies to a manager's `POST /alerts` over HTTPS, one request after another.
 * Usage: node post-alerts-cli.js <url> <token-file> <ca-file> <bodies.json>
 * Prints, on success, the elapsed ms and the first POST's start on CLOCK_MONOTONIC (ns, the clock of
 * process.hrtime.bigint in every process), so the caller can time from it: `<ms> <ns>`.
 */
import fs from 'node:fs';
import { request } from 'node:https';
import { performance } from 'node:perf_hooks';

const [url, tokenFile, caFile, bodiesFile] = process.argv.slice(2);
const token = fs.readFileSync(tokenFile ?? '', 'utf8').trim();
const ca = fs.readFileSync(caFile ?? '', 'utf8');
const bodies = JSON.parse(fs.readFileSync(bodiesFile ?? '', 'utf8')) as string[];
const target = new URL('/alerts', url);

function post(body: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: target.hostname,
        port: target.port,
        method: 'POST',
        path: target.pathname,
        ca,
        checkServerIdentity: () => undefined,
        headers: { 'content-type': 'application/x-ndjson', authorization: `Bearer ${token}` },
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => {
          if ((res.statusCode ?? 0) >= 300) {
            reject(new Error(`POST /alerts: HTTP ${res.statusCode ?? 0}: ${text}`));
          } else {
            resolve();
          }
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const t0 = performance.now();
const t0Ns = process.hrtime.bigint();
for (const b of bodies) {
  await post(b);
}
process.stdout.write(`${(performance.now() - t0).toFixed(1)} ${t0Ns}\n`);
