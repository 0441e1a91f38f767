/**
 * The NATS bus's stream reader (src/cluster/nats-stream-reader.ts) against a fake JetStream: where
 * a consumer made again after a loss begins (after the last sequence read on the same stream; by
 * time on a stream made again), that a skip in the delivery sequence counts as a loss, and that
 * nothing is made after stop(). The real server's side is in nats-outage.test.ts and
 * order-bus.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConsumerConfig, JetStreamClient, JetStreamManager } from 'nats';
import { StreamReader } from '../../src/cluster/nats-stream-reader.js';
import { waitFor } from '../manager/support/fleet.js';

interface FakeMsg {
  readonly info: { readonly deliverySequence: number; readonly streamSequence: number };
  string(): string;
}

/** One consumer's messages: pushed by the test, ended by the test or by stop(). */
class Messages implements AsyncIterable<FakeMsg> {
  private readonly queue: (FakeMsg | null)[] = [];
  private wake: (() => void) | undefined;
  stopped = false;

  push(deliverySequence: number, streamSequence: number): void {
    this.queue.push({ info: { deliverySequence, streamSequence }, string: () => `m${streamSequence}` });
    this.wake?.();
  }

  end(): void {
    this.queue.push(null);
    this.wake?.();
  }

  stop(): void {
    this.stopped = true;
    this.end();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<FakeMsg> {
    for (;;) {
      const m = this.queue.shift();
      if (m === null) {
        return;
      }
      if (m === undefined) {
        await new Promise<void>((r) => (this.wake = r));
        continue;
      }
      yield m;
    }
  }
}

/** The stream (its creation time, last sequence) and the consumers made on it, in order. */
class FakeJetStream {
  created = '2026-12-04T10:00:00Z';
  lastSeq = 10;
  readonly made: { readonly config: Partial<ConsumerConfig>; readonly messages: Messages }[] = [];
  readonly deleted: string[] = [];

  readonly jsm = {
    streams: { info: async () => ({ created: this.created, state: { last_seq: this.lastSeq } }) },
    consumers: {
      add: async (_stream: string, config: Partial<ConsumerConfig>) => {
        this.made.push({ config, messages: new Messages() });
        return { name: `c${this.made.length}` };
      },
      delete: async (_stream: string, name: string) => {
        this.deleted.push(name);
        return true;
      },
    },
  };

  readonly js = {
    consumers: {
      get: async (_stream: string, name: string) => {
        const made = this.made[Number(name.slice(1)) - 1];
        assert.ok(made !== undefined, `no consumer ${name}`);
        return { consume: async () => made.messages };
      },
    },
  };

  consumer(i: number): { readonly config: Partial<ConsumerConfig>; readonly messages: Messages } {
    const c = this.made[i];
    assert.ok(c !== undefined, `consumer ${i} not made`);
    return c;
  }
}

function reader(fake: FakeJetStream): { reader: StreamReader; got: string[]; resyncs: () => number } {
  const got: string[] = [];
  let resyncs = 0;
  const r = new StreamReader({
    js: fake.js as unknown as JetStreamClient,
    jsm: fake.jsm as unknown as JetStreamManager,
    stream: 'S',
    ensureStream: async () => undefined,
    receive: (text) => got.push(text),
    resync: () => {
      resyncs++;
    },
    warn: () => undefined,
  });
  return { reader: r, got, resyncs: () => resyncs };
}

test('stream reader: reads new messages, then after a loss resumes right after the last one read', async () => {
  const fake = new FakeJetStream();
  const { reader: r, got, resyncs } = reader(fake);
  await r.start();
  try {
    assert.equal(fake.consumer(0).config.deliver_policy, 'new');
    fake.consumer(0).messages.push(1, 11);
    fake.consumer(0).messages.push(2, 12);
    fake.consumer(0).messages.end(); // the consumer gone (a server restart)
    const next = await waitFor('a new consumer', 10_000, () => fake.made[1]);
    assert.deepEqual(got, ['m11', 'm12']);
    assert.equal(next.config.deliver_policy, 'by_start_sequence');
    assert.equal(next.config.opt_start_seq, 13);
    assert.equal(next.config.ack_policy, 'none');
    assert.deepEqual(fake.deleted, ['c1'], 'the lost consumer removed, not left to the server');
    await waitFor('the resync', 10_000, () => (resyncs() === 1 ? true : undefined));
    next.messages.push(1, 13);
    await waitFor('the next message', 10_000, () => (got.length === 3 ? true : undefined));
    assert.deepEqual(got, ['m11', 'm12', 'm13']);
  } finally {
    r.stop();
  }
});

test('stream reader: a skip in the delivery sequence is a loss; nothing after the skip is taken', async () => {
  const fake = new FakeJetStream();
  const { reader: r, got } = reader(fake);
  await r.start();
  try {
    const first = fake.consumer(0).messages;
    first.push(1, 11);
    first.push(3, 13); // delivery 2 went into a dead connection
    const next = await waitFor('a new consumer', 10_000, () => fake.made[1]);
    assert.deepEqual(got, ['m11']);
    assert.equal(next.config.opt_start_seq, 12, 'message 12 is read again, by the new consumer');
    assert.ok(first.stopped);
  } finally {
    r.stop();
  }
});

test('stream reader: on a stream made again, the new consumer reads by time (5 s before the loss)', async () => {
  const fake = new FakeJetStream();
  const { reader: r } = reader(fake);
  // A consumer lost before it read anything resumes after the stream's last sequence at start.
  await r.start();
  try {
    fake.consumer(0).messages.end();
    const second = await waitFor('a second consumer', 10_000, () => fake.made[1]);
    assert.equal(second.config.opt_start_seq, 11);
    fake.created = '2026-12-04T10:05:00Z'; // deleted and made again by another node
    const lostAt = Date.now();
    second.messages.end();
    const third = await waitFor('a third consumer', 10_000, () => fake.made[2]);
    assert.equal(third.config.deliver_policy, 'by_start_time');
    const from = Date.parse(String(third.config.opt_start_time));
    assert.ok(from <= lostAt - 5_000 + 1_000 && from >= lostAt - 5_000 - 1_000, `${from} vs ${lostAt}`);
  } finally {
    r.stop();
  }
});

test('stream reader: after stop() no consumer is made, even for a loss already being handled', async (t) => {
  // The retries run on a mocked clock; what the fake resolves needs only the microtask queue.
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
  const fake = new FakeJetStream();
  const { reader: r } = reader(fake);
  await r.start();
  fake.consumer(0).messages.end();
  await settle();
  t.mock.timers.tick(1_000); // the first retry is due after 1 s
  await settle();
  assert.equal(fake.made.length, 2, 'the retry runs on the mocked clock');
  fake.consumer(1).messages.end(); // a second loss: its retry armed, not yet due
  await settle();
  assert.deepEqual(fake.deleted, ['c1', 'c2']);
  r.stop();
  t.mock.timers.tick(60_000);
  await settle();
  assert.equal(fake.made.length, 2, 'no consumer made after stop()');
});
