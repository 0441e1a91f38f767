/**
 * Child program for the batch-form namespace tests: runs ONE batch of a stock script in-process, as
 * the agent does (run-stock-batch.ts: every stateful add answered `continue`), inside whatever
 * namespace it was started in. Before that, the same batch runs as a dry run to list the tool
 * commands it starts (what makes it "one call per batch"). Prints one JSON line
 * `{"results":[{"exitCode":0,"error":null},...],"commands":["ip -4 route show ...",...]}`.
 *
 * Usage: node batch-runner.js <home> <script> <extra-args JSON> <items JSON: [{"mode":"add","ip":"..."}]>
 */
import { runStockBatch } from '../../src/scripts/contract/run-stock-batch.js';
import { runInToolScope, type RecordedCommand } from '../../src/scripts/contract/tool-scope.js';
import { stockScripts } from '../../src/scripts/registry.js';
import { arMessage } from './netns-fixture.js';

interface Item {
  readonly mode: 'add' | 'delete';
  readonly ip: string;
}

async function runBatch(
  home: string,
  name: string,
  extra: readonly string[],
  items: readonly Item[],
): Promise<{ exitCode: number; error: string | null }[]> {
  const script = stockScripts.get(name);
  if (!script) {
    throw new Error(`unknown script ${name}`);
  }
  const lines = items.map((i) => arMessage(i.mode, i.ip, extra, name));
  const abort = new AbortController();
  const outcomes = await runStockBatch(script, lines, {
    host: { home, argv0: `active-response/bin/${name}`, now: () => new Date() },
    decide: (checkKeys) =>
      checkKeys.map((ck, i) =>
        ck === undefined ? undefined : arMessage('continue', items[i]?.ip, extra, name),
      ),
    signal: abort.signal,
  });
  return outcomes.map((o) => ({ exitCode: o.exitCode, error: o.error ?? null }));
}

async function main(): Promise<void> {
  const [home, name, extraJson, itemsJson] = process.argv.slice(2);
  if (home === undefined || name === undefined || extraJson === undefined || itemsJson === undefined) {
    throw new Error('usage: batch-runner <home> <script> <extra-args JSON> <items JSON>');
  }
  const extra = JSON.parse(extraJson) as string[];
  const items = JSON.parse(itemsJson) as Item[];
  const recorded: RecordedCommand[] = [];
  await runInToolScope({ record: (c) => recorded.push(c) }, () => runBatch(home, name, extra, items));
  const results = await runBatch(home, name, extra, items);
  const commands = recorded.map((c) => [c.file.slice(c.file.lastIndexOf('/') + 1), ...c.args].join(' '));
  process.stdout.write(`${JSON.stringify({ results, commands })}\n`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${String(err)}\n`);
    process.exit(1);
  },
);
