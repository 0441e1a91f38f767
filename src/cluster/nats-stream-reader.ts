/**
 * Reads the order stream for one node of the NATS bus (nats-bus.ts), in stream order, through an
 * ephemeral pull consumer it makes itself: no acks (AckNone), kept in the server's memory, removed
 * by the server after {@link INACTIVE_MS} without this node. Messages the server sent into a dead
 * connection are not sent again by such a consumer: a jump in its delivery sequence says so, and
 * the reader then makes a new consumer at the next stream sequence after the last one it read.
 *
 * That is what nats.js's ordered consumer does, done here because its loop that makes a consumer
 * again never ends once the connection is closed (checked with nats 2.29: a close while it ran, a
 * server down or just restarted, left a timer every 30 s for ever, so a stopped manager never
 * exited; or it threw CONNECTION_DRAINING as an unhandled rejection). This reader stops when told,
 * and its retries are its own timers, cleared at stop.
 *
 * A consumer is made again (once per loss) when its messages end: the library stops them when
 * the consumer or stream is gone (abort_on_missing_resource), a server restarted (in-memory
 * consumers are not kept) included; when its deliveries skip; or when the stream watch finds the
 * stream gone or made again by another node (nats-stream-watch.ts). The new one resumes after the
 * last sequence read on the same stream; on a stream made again it reads from {@link REREAD_MS}
 * before the loss. Retried every second, then up to every 10 s, until it works; each success
 * asks the node to resync from the store, for what a deleted stream took with it.
 */
import {
  AckPolicy,
  DeliverPolicy,
  nanos,
  type ConsumerConfig,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
} from 'nats';
import { watchStream, type StreamWatch } from './nats-stream-watch.js';
import { errorMessage } from '../protocol/error-message.js';

/** A consumer this node no longer reads is removed by the server after this long. */
const INACTIVE_MS = 60_000;
/** Longest wait between two attempts to make a lost consumer again. */
const MAX_RECOVERY_MS = 10_000;
/** A consumer on a stream made again reads from this long before the loss (server clocks differ). */
const REREAD_MS = 5_000;

export interface StreamReaderDeps {
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly stream: string;
  /** Makes the stream again if it is gone. */
  readonly ensureStream: () => Promise<void>;
  /** One message's text, in stream order. */
  readonly receive: (text: string) => void;
  /** A consumer was made again after a loss. */
  readonly resync: () => void;
  readonly warn: (text: string) => void;
}

/** What a new consumer begins after: `seq` of the stream created at `created`, else `time`. */
interface Resume {
  readonly created?: string;
  readonly seq?: number;
  readonly time: number;
}

function startAt(from: Resume | undefined, created: string): Partial<ConsumerConfig> {
  if (from === undefined) {
    return { deliver_policy: DeliverPolicy.New };
  }
  if (from.seq !== undefined && from.created === created) {
    return { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: from.seq + 1 };
  }
  return { deliver_policy: DeliverPolicy.StartTime, opt_start_time: new Date(from.time).toISOString() };
}

export class StreamReader {
  private messages: ConsumerMessages | undefined;
  private consumerName: string | undefined;
  /** Looks at whether the stream of `messages` is still there. */
  private watch: StreamWatch | undefined;
  private recovery: NodeJS.Timeout | undefined;
  private stopped = false;
  /** The stream read (its creation time) and the last sequence read on it. */
  private position: { readonly created: string; readonly seq: number } | undefined;

  constructor(private readonly deps: StreamReaderDeps) {}

  /** Makes a consumer and reads: new messages only, or after `from`. @throws when it cannot */
  async start(from?: Resume): Promise<void> {
    const { js, jsm, stream } = this.deps;
    const info = await jsm.streams.info(stream);
    const created = info.created;
    const ci = await jsm.consumers.add(stream, {
      ack_policy: AckPolicy.None,
      mem_storage: true,
      num_replicas: 1,
      inactive_threshold: nanos(INACTIVE_MS),
      ...startAt(from, created),
    });
    const messages = await (
      await js.consumers.get(stream, ci.name)
    ).consume({
      abort_on_missing_resource: true,
    });
    if (this.stopped) {
      messages.stop(); // stop() came meanwhile: nothing may outlive it
      return;
    }
    this.messages = messages;
    this.consumerName = ci.name;
    if (from === undefined) {
      this.position = { created, seq: info.state.last_seq }; // "new": what follows it
    }
    this.watch = watchStream(
      async () => (await jsm.streams.info(stream)).created === created,
      (why) => {
        this.lost(messages, why);
      },
    );
    this.read(messages, created).then(
      (why) => {
        this.lost(messages, why);
      },
      (err: unknown) => {
        this.lost(messages, errorMessage(err));
      },
    );
  }

  /** Reads until the messages end or skip; resolves why it stopped. */
  private async read(messages: ConsumerMessages, created: string): Promise<string> {
    let delivered = 0;
    for await (const m of messages) {
      const { deliverySequence, streamSequence } = m.info;
      if (deliverySequence !== delivered + 1) {
        return `its deliveries skipped from ${delivered} to ${deliverySequence}`;
      }
      delivered = deliverySequence;
      this.position = { created, seq: streamSequence };
      this.deps.receive(m.string());
    }
    return 'its messages ended';
  }

  /** Replaces the consumer whose `messages` were lost (once per loss; none after stop). */
  private lost(messages: ConsumerMessages, why: string): void {
    if (this.stopped || this.messages !== messages) {
      return;
    }
    const from: Resume = { ...this.position, time: Date.now() - REREAD_MS };
    this.messages = undefined;
    this.watch?.stop();
    this.watch = undefined;
    messages.stop();
    const name = this.consumerName;
    if (name !== undefined) {
      this.deps.jsm.consumers.delete(this.deps.stream, name).catch(() => undefined);
    }
    this.deps.warn(`Order bus (NATS): consumer lost (${why}); making a new one.`);
    this.retry(from, 1_000);
  }

  private retry(from: Resume, delayMs: number): void {
    this.recovery = setTimeout(() => {
      this.recovery = undefined;
      if (this.stopped) {
        return;
      }
      this.deps
        .ensureStream()
        .then(() => this.start(from))
        .then(
          () => {
            this.deps.warn('Order bus (NATS): consumer made again; resyncing from the store.');
            this.deps.resync();
          },
          (err: unknown) => {
            this.deps.warn(`Order bus (NATS): cannot make a consumer yet: ${errorMessage(err)}`);
            this.retry(from, Math.min(delayMs * 2, MAX_RECOVERY_MS));
          },
        );
    }, delayMs);
    this.recovery.unref();
  }

  /** Stops reading for good: no consumer is made after this. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.recovery);
    this.watch?.stop();
    this.messages?.stop();
  }
}
