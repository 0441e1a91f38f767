/**
 * A small pool of worker threads that own the child processes of spawned scripts (spawn-worker.ts).
 * `start` has the same contract as run-process's startProcess (an InteractiveProcess), `run` the
 * same as its runProcess (a tool run to completion: nft, ip, ...), but the spawn itself, the pipes,
 * the time limit and the group kill all live on a worker's event loop; the main thread only
 * exchanges small messages. That keeps intake, decisions and the API responsive
 * during a burst of custom scripts (spawn costs ~3 ms of synchronous work per child).
 *
 * - Each start goes to the worker with the fewest live children; a worker is added (up to the
 *   pool's size) only when none is idle.
 * - Workers are unref'd while idle: an idle pool never keeps the process alive.
 * - A worker that dies (it should not: it only relays) ends its pending runs as spawn errors and is
 *   replaced on the next start.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { LineRead } from './line-reader.js';
import type {
  InteractiveProcess,
  InteractiveSpec,
  ProcessExit,
  ProcessResult,
  ProcessSpec,
} from './process-types.js';
import type { FromWorker, ToWorker } from './spawn-protocol.js';

/** An interactive child (`done` + first-line `read`) or a run to completion (`result`). */
interface Pending {
  readonly done: (exit: ProcessExit) => void;
  read: ((r: LineRead) => void) | undefined;
  readonly result?: (r: ProcessResult) => void;
}

function stoppedExit(why: string): ProcessExit {
  return {
    exitCode: null,
    signal: null,
    timedOut: false,
    aborted: false,
    stderrTail: '',
    spawnError: `spawn worker stopped: ${why}`,
    durationMs: 0,
  };
}

class SpawnWorker {
  readonly pending = new Map<number, Pending>();
  /**
   * Replies not yet handed on. A port delivers every queued message in one event-loop turn, and
   * each reply resumes an execution (decide, store writes); handing on one reply per turn lets
   * timers, intake and the API run between them instead of after a whole burst.
   */
  private readonly inbox: FromWorker[] = [];
  private readonly worker: Worker;
  dead = false;

  constructor(onDeath: (w: SpawnWorker) => void) {
    this.worker = new Worker(new URL('./spawn-worker.js', import.meta.url));
    this.worker.on('message', (msg: FromWorker) => {
      this.inbox.push(msg);
      if (this.inbox.length === 1) {
        setImmediate(this.drainOne);
      }
    });
    const die = (why: string): void => {
      if (this.dead) {
        return;
      }
      this.dead = true;
      onDeath(this);
      for (const [, p] of this.pending) {
        p.read?.({ kind: 'eof' });
        p.done(stoppedExit(why));
      }
      this.pending.clear();
    };
    // Unref'd only now: adding a 'message' listener refs the worker again, so a worker warmed
    // (no run yet, so no unref when its last run ends) would keep the process alive at stop.
    this.worker.unref();
    this.worker.on('error', (err) => {
      die(err.message);
    });
    this.worker.on('exit', (code) => {
      die(`exit ${code}`);
    });
  }

  get load(): number {
    return this.pending.size;
  }

  send(msg: ToWorker): void {
    if (!this.dead) {
      this.worker.postMessage(msg);
    }
  }

  track(id: number, p: Pending): void {
    if (this.pending.size === 0) {
      this.worker.ref();
    }
    this.pending.set(id, p);
  }

  private readonly drainOne = (): void => {
    const msg = this.inbox.shift();
    if (msg !== undefined) {
      this.receive(msg);
    }
    if (this.inbox.length > 0) {
      setImmediate(this.drainOne);
    }
  };

  private receive(msg: FromWorker): void {
    const p = this.pending.get(msg.id);
    if (p === undefined) {
      return;
    }
    if (msg.op === 'read') {
      const read = p.read;
      p.read = undefined;
      read?.(msg.read);
      return;
    }
    this.pending.delete(msg.id);
    if (this.pending.size === 0) {
      this.worker.unref();
    }
    if (msg.op === 'result') {
      p.result?.(msg.result);
      return;
    }
    p.read?.({ kind: 'eof' });
    p.done(msg.exit);
  }

  terminate(): Promise<number> {
    return this.worker.terminate();
  }
}

/** The default number of spawn workers: 2, or 1 on a single CPU. */
export function defaultSpawnWorkers(): number {
  return Math.min(2, availableParallelism());
}

export class SpawnWorkerPool {
  private readonly workers: SpawnWorker[] = [];
  private nextId = 1;

  /** @param size worker threads (at least 1). */
  constructor(private readonly size: number = defaultSpawnWorkers()) {}

  /** Starts a process on a worker; same contract as run-process's startProcess. */
  readonly start = (spec: InteractiveSpec): InteractiveProcess => {
    const worker = this.pick();
    const id = this.nextId++;
    let resolveDone: (exit: ProcessExit) => void = () => undefined;
    const done = new Promise<ProcessExit>((resolve) => {
      resolveDone = resolve;
    });
    const pending: Pending = { done: resolveDone, read: undefined };
    worker.track(id, pending);
    worker.send({ op: 'start', id, spec: plainSpec(spec) });
    return {
      writeLine: (line) => {
        worker.send({ op: 'write', id, line });
      },
      closeStdin: () => {
        worker.send({ op: 'close', id });
      },
      readLine: (timeoutMs) =>
        new Promise<LineRead>((resolve) => {
          if (!worker.pending.has(id)) {
            resolve({ kind: 'eof' });
            return;
          }
          pending.read = resolve;
          worker.send({ op: 'read', id, timeoutMs });
        }),
      done,
      kill: () => {
        worker.send({ op: 'kill', id });
      },
    };
  };

  /**
   * Runs a command to completion on a worker; same contract as run-process's runProcess (never
   * rejects; aborting `spec.signal` stops it like its time limit).
   */
  readonly run = (spec: ProcessSpec): Promise<ProcessResult> => {
    const { signal, ...portable } = spec;
    if (signal?.aborted === true) {
      return Promise.resolve(notRun({ aborted: true, spawnError: undefined }));
    }
    const worker = this.pick();
    const id = this.nextId++;
    return new Promise<ProcessResult>((resolve) => {
      const onAbort = (): void => {
        worker.send({ op: 'kill', id });
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const settle = (r: ProcessResult): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve(r);
      };
      worker.track(id, {
        read: undefined,
        result: settle,
        // The worker died before answering: the run is reported like a failed spawn.
        done: (exit) => {
          settle(notRun({ aborted: false, spawnError: exit.spawnError }));
        },
      });
      worker.send({ op: 'run', id, spec: plainSpec(portable) });
    });
  };

  /**
   * Starts one worker now when there is none (a worker takes ~50 ms of CPU to boot, on its own
   * thread): the daemon's first tool run (the first nft transaction of a burst) then does not wait
   * for it. Idle, it is unref'd like any other, so it never keeps the process alive.
   */
  warm(): void {
    if (this.workers.length === 0) {
      this.pick();
    }
  }

  /** Worker threads started and alive. */
  get workerCount(): number {
    return this.workers.length;
  }

  /** Live children across the workers. */
  get running(): number {
    return this.workers.reduce((n, w) => n + w.load, 0);
  }

  /** Stops the workers (their children get the usual group termination first when they exit). */
  async close(): Promise<void> {
    const workers = this.workers.splice(0);
    await Promise.all(workers.map((w) => w.terminate()));
  }

  /** The least loaded worker; a new one only while none is idle (a worker takes ~50 ms to start). */
  private pick(): SpawnWorker {
    if (this.workers.length < Math.max(1, this.size) && !this.workers.some((w) => w.load === 0)) {
      const w = new SpawnWorker((dead) => {
        const i = this.workers.indexOf(dead);
        if (i >= 0) {
          this.workers.splice(i, 1);
        }
      });
      this.workers.push(w);
      return w;
    }
    let best = this.workers[0];
    for (const w of this.workers) {
      if (best === undefined || w.load < best.load) {
        best = w;
      }
    }
    if (best === undefined) {
      throw new Error('unreachable: empty spawn pool');
    }
    return best;
  }
}

function notRun(why: { aborted: boolean; spawnError: string | undefined }): ProcessResult {
  return { exitCode: null, signal: null, timedOut: false, stdout: '', stderr: '', durationMs: 0, ...why };
}

/** The spec without anything structured clone would reject (env values left undefined are dropped). */
function plainSpec<S extends { readonly env?: Readonly<Record<string, string | undefined>> }>(spec: S): S {
  if (spec.env === undefined) {
    return spec;
  }
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(spec.env)) {
    if (v !== undefined) {
      env[k] = v;
    }
  }
  return { ...spec, env };
}
