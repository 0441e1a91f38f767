/**
 * A child process for tests that must run a stock script's batch form where a test process may
 * not act (e.g. inside a private mount namespace, tests/scripts/host-deny.test.ts): runs
 * `lines` as ONE batch of the stock script `script` (runStockBatch, as execd does), every
 * check_keys answered `continue`, and prints the outcomes as one JSON line.
 *
 * argv[2]: JSON `{ "script": "<stock script name>", "home": "<dir>", "lines": ["<AR message>", ...] }`.
 */
import { runStockBatch } from '../../../src/scripts/contract/run-stock-batch.js';
import { stockScripts } from '../../../src/scripts/registry.js';

interface Args {
  readonly script: string;
  readonly home: string;
  readonly lines: readonly string[];
}

const args = JSON.parse(process.argv[2] ?? '{}') as Args;
const script = stockScripts.get(args.script);
if (script === undefined) {
  throw new Error(`no stock script ${args.script}`);
}
const continueOf = (line: string): string =>
  JSON.stringify({ ...(JSON.parse(line) as object), command: 'continue' });
const outcomes = await runStockBatch(script, args.lines, {
  host: { home: args.home, argv0: `active-response/bin/${script.name}`, now: () => new Date() },
  decide: (checkKeys) =>
    checkKeys.map((ck, i) => (ck === undefined ? undefined : continueOf(args.lines[i] ?? ''))),
  signal: new AbortController().signal,
});
process.stdout.write(`${JSON.stringify(outcomes)}\n`);
