/**
 * Child program for the namespace tests: a long-lived process using the process-wide nftables
 * backend, as the agent does, inside whatever namespace it was started in. Reads `block <ip>` and
 * `unblock <ip>` lines on stdin, one at a time, and answers each with `ok` or `error <message>`.
 */
import { createInterface } from 'node:readline';
import { parseIp } from '../../src/core/net/ip.js';
import { nftablesBackend } from '../../src/scripts/firewall/nftables.js';

async function handle(line: string): Promise<string> {
  const [verb, text] = line.split(' ');
  const ip = parseIp(text ?? '');
  if (ip === undefined || (verb !== 'block' && verb !== 'unblock')) {
    return `error bad request: ${line}`;
  }
  try {
    await (verb === 'block' ? nftablesBackend.block([ip]) : nftablesBackend.unblock([ip]));
    return 'ok';
  } catch (err) {
    return `error ${String(err)}`;
  }
}

async function main(): Promise<void> {
  for await (const line of createInterface({ input: process.stdin })) {
    process.stdout.write(`${await handle(line)}\n`);
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${String(err)}\n`);
    process.exit(1);
  },
);
