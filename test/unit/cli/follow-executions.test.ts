/**
 * `riposte ar history --follow` (src/cli/follow-executions.ts): the live feed never ends by
 * design, so its end or its failure is reported as the daemon gone (DAEMON_UNREACHABLE, exit 3),
 * after what it delivered was printed; never a silent exit 0.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { followExecutions } from '../../../src/cli/follow-executions.js';
import type { RemoteClient } from '../../../src/cli/remote-client.js';
import { exitCodeFor } from '../../../src/cli/exit-codes.js';
import { toApiTimes } from '../../../src/protocol/api-times.js';
import type { FleetExecution } from '../../../src/protocol/fleet-records.js';
import { execution } from '../../manager-api/fake-manager-service.js';

const done: FleetExecution = execution('001', 7);
const event = `event: execution\ndata: ${JSON.stringify(toApiTimes(done))}\n\n`;

function clientOf(body: () => Readable): RemoteClient {
  return {
    url: new URL('https://manager.example:1515/'),
    call: () => Promise.reject(new Error('not used')),
    stream: () => Promise.resolve(body()),
  };
}

test('a feed the daemon closes is an error (exit 3), after the executions it delivered', async () => {
  const out: string[] = [];
  const client = clientOf(() => Readable.from(['retry: 3000\n: riposte executions\n\n', event]));
  await assert.rejects(
    followExecutions(client, undefined, { json: true, out: (t) => void out.push(t) }),
    (err: unknown) => {
      assert.equal((err as { code?: string }).code, 'DAEMON_UNREACHABLE');
      assert.equal(exitCodeFor(err), 3);
      assert.equal(
        (err as Error).message,
        'The live feed of executions from https://manager.example:1515/ ended: the daemon closed it (stopped or restarted?)',
      );
      return true;
    },
  );
  assert.equal(out.length, 1);
  assert.equal((JSON.parse(out[0] ?? '') as { id: number }).id, 7);
});

test('a feed that breaks is an error (exit 3) naming why', async () => {
  const broken = (): Readable =>
    new Readable({
      read() {
        this.destroy(new Error('nothing received for 60 s'));
      },
    });
  await assert.rejects(
    followExecutions(clientOf(broken), '001', { json: false, out: () => undefined }),
    (err: unknown) => {
      assert.equal(exitCodeFor(err), 3);
      assert.match(
        (err as Error).message,
        /feed of executions from https:\/\/manager\.example:1515\/ broke: nothing received for 60 s$/,
      );
      return true;
    },
  );
});
