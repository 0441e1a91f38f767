/**
 * The nftables backend in a dry run (tool-scope.ts `record`) beside real blocks in the same turn:
 * the dry run's op is recorded in its own transaction, never joins the shared batch, so the real
 * block is applied and the dry run's address is not.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseIp, type IpAddress } from '../../src/core/net/ip.js';
import { runInToolScope, type RecordedCommand } from '../../src/scripts/contract/tool-scope.js';
import { NftBatcher, type NftOp } from '../../src/scripts/firewall/nft-batcher.js';
import { createNftablesBackend } from '../../src/scripts/firewall/nftables.js';

function ip(text: string): IpAddress {
  const a = parseIp(text);
  assert.ok(a);
  return a;
}

const opIps = (ops: readonly NftOp[]): string[] =>
  ops.flatMap((o) => (o.kind === 'add-elements' ? o.elements.split(',') : [o.ip.bytes.join('.')]));

void test('a dry run and real blocks in one turn: the dry run is recorded alone, the real ones applied', async () => {
  const applied: string[][] = [];
  const backend = createNftablesBackend(
    new NftBatcher((ops) => {
      applied.push(opIps(ops));
      return Promise.resolve();
    }),
  );
  const recorded: RecordedCommand[] = [];
  const scope = { record: (c: RecordedCommand) => recorded.push(c) };
  await Promise.all([
    backend.block([ip('198.51.100.1')]),
    runInToolScope(scope, () => backend.block([ip('198.51.100.2')])),
    runInToolScope(scope, () =>
      backend.applyOps([{ kind: 'delete', ip: ip('198.51.100.3') }], '/nonexistent'),
    ),
    backend.block([ip('198.51.100.4')]),
  ]);
  assert.deepEqual(applied.flat().sort(), ['198.51.100.1', '198.51.100.4']);
  const inputs = recorded.map((c) => `${c.args.join(' ')}: ${c.input ?? ''}`);
  assert.equal(recorded.length, 2, inputs.join('\n'));
  assert.ok(
    inputs.some((i) => i.includes('blocked4 { 198.51.100.2 }')),
    inputs.join('\n'),
  );
  assert.ok(inputs.some((i) => i.includes('delete element inet riposte blocked4 { 198.51.100.3 }')));
  assert.ok(inputs.every((i) => !i.includes('198.51.100.1') && !i.includes('198.51.100.4')));
});
