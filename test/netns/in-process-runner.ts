/**
 * Child program for the namespace tests: runs a stock script in-process (as the agent does) for
 * many addresses concurrently, inside whatever namespace it was started in, and prints one JSON line
 * `{"codes":[...],"transactions":N}`.
 *
 * Usage: node in-process-runner.js <home> <script> <add|delete> <extra-args JSON> <ips JSON>
 */
import { pairedChannel } from '../../src/scripts/contract/channel.js';
import { runStockScript } from '../../src/scripts/contract/run-stock-script.js';
import { sharedNftBatcher } from '../../src/scripts/firewall/nftables.js';
import { stockScripts } from '../../src/scripts/registry.js';
import { arMessage } from './netns-fixture.js';

async function runOne(opts: { home: string; name: string; line: string; reply: string }): Promise<number> {
  const script = stockScripts.get(opts.name);
  if (!script) {
    throw new Error(`unknown script ${opts.name}`);
  }
  const ch = pairedChannel();
  ch.peer.send(opts.line);
  const answer = (async (): Promise<void> => {
    if ((await ch.peer.readLine()) !== undefined) {
      ch.peer.send(opts.reply);
    }
    ch.peer.end();
  })();
  const host = { home: opts.home, argv0: `active-response/bin/${opts.name}`, now: () => new Date() };
  const code = await runStockScript(script, ch.script, host);
  ch.peer.close();
  await answer;
  return code;
}

async function main(): Promise<void> {
  const [home, name, command, extraJson, ipsJson] = process.argv.slice(2);
  if (home === undefined || name === undefined || command === undefined || ipsJson === undefined) {
    throw new Error('usage: in-process-runner <home> <script> <add|delete> <extra-args JSON> <ips JSON>');
  }
  const extra = JSON.parse(extraJson ?? '[]') as string[];
  const ips = JSON.parse(ipsJson) as string[];
  const codes = await Promise.all(
    ips.map((ip) =>
      runOne({
        home,
        name,
        line: arMessage(command, ip, extra, name),
        reply: arMessage('continue', ip, extra, name),
      }),
    ),
  );
  process.stdout.write(`${JSON.stringify({ codes, transactions: sharedNftBatcher.transactions })}\n`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${String(err)}\n`);
    process.exit(1);
  },
);
