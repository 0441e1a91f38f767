/**
 * A small pool of spawn helper processes that own the child processes of spawned scripts
 * (spawn-worker.ts). `start` has the same contract as run-process's startProcess (an
 * InteractiveProcess), `run` the same as its runProcess (a tool run to completion: nft, ip, ...),
 * but the spawn itself, the pipes, the time limit and the group kill all live in a helper; the
 * daemon only exchanges small messages. That keeps intake, decisions and the API responsive
 * during a burst of custom scripts.
 *
 * Why processes, not worker threads: libuv spawns with fork(), and fork copies the page tables of
 * the whole forking process while holding its memory map's lock, so every other thread of that
 * process that faults a page or maps memory (the main thread allocating, its GC) waits until the
 * copy is done: ~3 ms per spawn from a daemon-sized process on the AMD EPYC machine. A helper
 * forks in its own small address space. Measured there (a `/tmp` script, a 150 MB main heap, 500
 * spawns of /bin/true, 8 at a time): the main loop's delay p99 36 ms with the spawns on a worker
 * thread, 11 ms with them in a helper process, 7 ms with no spawns at all.
 *
 * - Each start goes to the helper with the fewest live children; a helper is added (up to the
 *   pool's size) only when none is idle.
 * - Helpers are unref'd while idle: an idle pool never keeps the process alive.
 * - A helper exits when its channel closes (the pool closed, or its owner exited or was killed).
 * - A helper that dies (it should not: it only relays) ends its pending runs as spawn errors and is
 *   replaced on the next start.
 * - A tool run (`run`) is spawned by the pool's own process in two cases, both rare:
 *   - while no helper has booted. A helper boots on `warm()`, which a daemon calls once started,
 *     or for the first `start`; it is a Node.js process start (~0.1 s of CPU, ~0.2 s until it
 *     listens, on the AMD EPYC machine). So a daemon's first nft transactions (a reboot's
 *     re-apply) neither wait for it nor compete with its boot.
 *   - when its stdin is larger than DIRECT_INPUT_CHARS (that re-apply: one `nft -f -` of 100,000
 *     elements, several MB): one fork of the daemon (~3 ms there) costs less than carrying the
 *     input through a helper's channel (~75 ms for 6.5 MB).
 */
import type { ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { runProcess, startNodeHelper } from './run-process.js';
import type { LineRead } from './line-reader.js';
import type {
  InteractiveProcess,
  InteractiveSpec,
  ProcessExit,
  ProcessResult,
  ProcessSpec,
} from './process-types.js';
import type { FromWorker, ToWorker } from './spawn-protocol.js';

/** Stdin size (string length) above which `run` spawns from this process instead of a helper. */
export const DIRECT_INPUT_CHARS = 1024 * 1024;

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
  private readonly inbox: Exclude<FromWorker, { op: 'ready' }>[] = [];
  private readonly helper: ChildProcess;
  dead = false;
  /** The helper has booted and listens (its `ready` came). */
  ready = false;
  /** Settles once `ready` came or the helper died. */
  readonly booted: Promise<void>;
  private markBooted: () => void = () => undefined;

  constructor(onDeath: (w: SpawnWorker) => void) {
    this.booted = new Promise<void>((resolve) => {
      this.markBooted = resolve;
    });
    this.helper = startNodeHelper(fileURLToPath(new URL('./spawn-worker.js', import.meta.url)));
    // The channel carries only what spawn-worker.ts sends (FromWorker), from the helper we forked.
    this.helper.on('message', (raw) => {
      const msg = raw as FromWorker;
      if (msg.op === 'ready') {
        this.ready = true;
        this.markBooted();
        // Ref'd while it boots (a wait for `booted` keeps the process alive), then only while runs
        // are pending: a warmed helper with nothing to do must not keep the process alive at stop.
        if (this.pending.size === 0) {
          this.setRef(false);
        }
        return;
      }
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
      this.markBooted();
      onDeath(this);
      for (const [, p] of this.pending) {
        p.read?.({ kind: 'eof' });
        p.done(stoppedExit(why));
      }
      this.pending.clear();
    };
    this.helper.on('error', (err) => {
      die(err.message);
    });
    this.helper.on('exit', (code, signal) => {
      die(`exit ${code ?? signal ?? '?'}`);
    });
  }

  /** The helper and its channel keep the event loop alive while it boots and while runs are pending. */
  private setRef(on: boolean): void {
    if (on) {
      this.helper.ref();
      this.helper.channel?.ref();
    } else {
      this.helper.unref();
      this.helper.channel?.unref();
    }
  }

  get load(): number {
    return this.pending.size;
  }

  send(msg: ToWorker): void {
    if (!this.dead && this.helper.connected) {
      this.helper.send(msg);
    }
  }

  track(id: number, p: Pending): void {
    if (this.pending.size === 0) {
      this.setRef(true);
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

  private receive(msg: Exclude<FromWorker, { op: 'ready' }>): void {
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
      this.setRef(false);
    }
    if (msg.op === 'result') {
      p.result?.(msg.result);
      return;
    }
    p.read?.({ kind: 'eof' });
    p.done(msg.exit);
  }

  /** Closes the channel (the helper exits on that) and resolves once the helper has exited. */
  terminate(): Promise<void> {
    const h = this.helper;
    if (h.exitCode !== null || h.signalCode !== null) {
      return Promise.resolve();
    }
    const exited = new Promise<void>((resolve) => {
      h.once('exit', () => {
        resolve();
      });
    });
    h.ref(); // the wait for its exit keeps the event loop alive
    if (h.connected) {
      h.disconnect();
    } else {
      h.kill('SIGTERM');
    }
    return exited;
  }
}

/** The default number of spawn workers: 2, or 1 on a single CPU. */
export function defaultSpawnWorkers(): number {
  return Math.min(2, availableParallelism());
}

export class SpawnWorkerPool {
  private readonly workers: SpawnWorker[] = [];
  private nextId = 1;

  /** @param size helper processes (at least 1). */
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
   * Runs a command to completion on a helper (from this process while none has booted, or when
   * its input is larger than DIRECT_INPUT_CHARS); same contract as run-process's runProcess (never
   * rejects; aborting `spec.signal` stops it like its time limit).
   */
  readonly run = (spec: ProcessSpec): Promise<ProcessResult> => {
    if ((spec.input?.length ?? 0) > DIRECT_INPUT_CHARS || !this.anyReady()) {
      return runProcess(spec);
    }
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
   * Starts one helper now when there is none (a Node.js process start, ~0.1 s of CPU, in its own
   * process); tool runs go to it once it has booted, and are forked by this process until then.
   * Idle, it is unref'd like any other, so it never keeps the process alive.
   */
  warm(): void {
    if (this.workers.length === 0) {
      this.pick();
    }
  }

  /** Starts a helper when there is none; resolves once one has booted (or died trying). */
  async booted(): Promise<void> {
    this.warm();
    await Promise.race(this.workers.map((w) => w.booted));
  }

  /** Whether some helper has booted and listens. */
  private anyReady(): boolean {
    return this.workers.some((w) => w.ready && !w.dead);
  }

  /** Helper processes started and alive. */
  get workerCount(): number {
    return this.workers.length;
  }

  /**
   * Stops the helpers and resolves once they have exited. Children still running were started in
   * their own process groups and keep running, as when the daemon itself exits.
   */
  async close(): Promise<void> {
    const workers = this.workers.splice(0);
    await Promise.all(workers.map((w) => w.terminate()));
  }

  /** The least loaded helper; a new one only while none is idle (a helper takes ~0.1 s to start). */
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
