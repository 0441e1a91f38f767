/**
 * The hardened process runner: THE ONLY module that imports node:child_process.
 *
 * Contract for every child it starts:
 * - `spawn(file, args, {shell: false, detached: true})`: values are argv elements, never shell text,
 *   and the child leads its own process group, so the group can be signalled as a whole.
 * - Time limit `timeoutMs`: SIGTERM to the group, SIGKILL `killGraceMs` later if anything is left.
 * - When the child exits by itself, its background children are left running, as Wazuh's execd
 *   leaves them (reference §2.3: it waits for the script alone): scripts written for Wazuh hand
 *   long work to one (`nohup ... &`, a delayed unblock). Past the time limit, or on `kill()`/abort,
 *   the whole group is ended, background children included.
 * - Output is read to the end but stored only up to a cap; stdin EPIPE is ignored.
 * - Completion is the child's 'exit' (plus a short drain of pipe data already written), not the
 *   pipes' 'close': a grandchild that keeps stdout open cannot hang us (reference §2.7). Our pipe
 *   ends are then closed, as execd closes its own: such a grandchild's next write fails (EPIPE).
 * - Spawn failures (ENOENT, EACCES, bad cwd) are reported in `spawnError`, never thrown.
 * Timers are cleared and listeners removed on exit (only the group terminator may keep polling, at
 * most `killGraceMs`, until the leftovers are gone).
 */
import { fork, spawn } from 'node:child_process';
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { CappedBuffer } from './capped-buffer.js';
import { GroupTerminator } from './kill-group.js';
import { FirstLineReader } from './line-reader.js';
import type {
  InteractiveProcess,
  InteractiveSpec,
  ProcessExit,
  ProcessResult,
  ProcessSpec,
} from './process-types.js';
import { TailBuffer } from './tail-buffer.js';
import { errorMessage } from '../protocol/error-message.js';

export type { LineRead } from './line-reader.js';
export type {
  InteractiveProcess,
  InteractiveSpec,
  ProcessExit,
  ProcessResult,
  ProcessSpec,
  ProcessStarter,
} from './process-types.js';

/** @default 2000 ms between SIGTERM and SIGKILL. */
export const DEFAULT_KILL_GRACE_MS = 2000;
/** @default 1 MiB kept per output stream by runProcess. */
export const DEFAULT_MAX_OUTPUT_BYTES = 1024 * 1024;
/** After exit, how long we wait for pipe data already written before cutting the pipes, in ms. */
const EXIT_DRAIN_MS = 100;

type ExitInfo = Omit<ProcessExit, 'stderrTail'>;

interface LaunchSpec {
  readonly file: string;
  readonly args: readonly string[];
  readonly argv0?: string | undefined;
  readonly cwd?: string | undefined;
  readonly env?: Readonly<Record<string, string | undefined>> | undefined;
  readonly timeoutMs: number;
  readonly killGraceMs?: number | undefined;
  readonly stdin: 'pipe' | 'ignore';
  readonly stdout: 'pipe' | 'ignore';
  readonly signal?: AbortSignal | undefined;
}

interface Launched {
  readonly stdin: Writable | null;
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
  readonly exited: Promise<ExitInfo>;
  kill(): void;
}

/**
 * Starts a Node.js helper process running `modulePath` (one of ours, never a value from outside)
 * with an IPC channel carrying structured-clone messages: the spawn workers (spawn-workers.ts).
 * No node flags are inherited (a `--cpu-prof` given to the daemon is not the helper's); it writes
 * only to stderr, which it shares with its parent.
 */
export function startNodeHelper(modulePath: string): ChildProcess {
  return fork(modulePath, [], {
    execArgv: [],
    serialization: 'advanced',
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
}

/** Runs a command to completion. Never rejects. */
export function runProcess(spec: ProcessSpec): Promise<ProcessResult> {
  const launched = launch({ ...spec, stdin: spec.input === undefined ? 'ignore' : 'pipe', stdout: 'pipe' });
  const cap = spec.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
  const stdout = new CappedBuffer(cap);
  const stderr = new CappedBuffer(cap);
  launched.stdout?.on('data', (chunk: Buffer) => {
    stdout.push(chunk);
  });
  launched.stderr?.on('data', (chunk: Buffer) => {
    stderr.push(chunk);
  });
  if (spec.input !== undefined) {
    launched.stdin?.end(spec.input);
  }
  return launched.exited.then((exit) => ({ ...exit, stdout: stdout.text(), stderr: stderr.text() }));
}

/** Starts a process for a line exchange over stdin/stdout (see InteractiveProcess). */
export function startProcess(spec: InteractiveSpec): InteractiveProcess {
  const launched = launch({ ...spec, stdin: 'pipe', stdout: spec.stdout === 'lines' ? 'pipe' : 'ignore' });
  const reader = new FirstLineReader(spec.maxLineBytes);
  const tail = new TailBuffer(spec.stderrTailBytes);
  const { stdin, stdout } = launched;
  if (stdout === null) {
    reader.end();
  } else {
    stdout.on('data', (chunk: Buffer) => {
      reader.push(chunk);
    });
    stdout.once('close', () => {
      reader.end();
    });
  }
  launched.stderr?.on('data', (chunk: Buffer) => {
    tail.push(chunk);
  });
  const done = launched.exited.then((exit) => {
    reader.end();
    return { ...exit, stderrTail: tail.text() };
  });
  return {
    writeLine: (line) => {
      if (stdin?.writable === true) {
        stdin.write(`${line}\n`);
      }
    },
    closeStdin: () => {
      stdin?.end();
    },
    readLine: (timeoutMs) => reader.read(timeoutMs),
    done,
    kill: () => {
      launched.kill();
    },
  };
}

function launch(spec: LaunchSpec): Launched {
  const startedAt = performance.now();
  if (spec.signal?.aborted === true) {
    return notStarted({ spawnError: undefined, aborted: true });
  }
  try {
    const child = spawn(spec.file, spec.args, spawnOptions(spec));
    return supervise(child, spec, startedAt);
  } catch (err) {
    return notStarted({ spawnError: errorMessage(err), aborted: false });
  }
}

function notStarted(why: { spawnError: string | undefined; aborted: boolean }): Launched {
  const exit: ExitInfo = { exitCode: null, signal: null, timedOut: false, durationMs: 0, ...why };
  return { stdin: null, stdout: null, stderr: null, exited: Promise.resolve(exit), kill: () => undefined };
}

function spawnOptions(spec: LaunchSpec): SpawnOptions {
  const options: SpawnOptions = {
    shell: false,
    detached: true,
    stdio: [spec.stdin, spec.stdout, 'pipe'],
    env: spec.env ?? process.env,
  };
  if (spec.cwd !== undefined) {
    options.cwd = spec.cwd;
  }
  if (spec.argv0 !== undefined) {
    options.argv0 = spec.argv0;
  }
  return options;
}

/** Wires the time limit, exit handling and group cleanup around a freshly spawned child. */
function supervise(child: ChildProcess, spec: LaunchSpec, startedAt: number): Launched {
  const { stdin, stdout, stderr } = child;
  // Permanent no-op listeners: a late EPIPE or error event must never become an uncaught exception.
  for (const emitter of [child, stdin, stdout, stderr]) {
    emitter?.on('error', ignore);
  }
  const terminator = new GroupTerminator(child.pid, spec.killGraceMs ?? DEFAULT_KILL_GRACE_MS);
  let timedOut = false;
  let aborted = false;
  const timer = setTimeout(() => {
    timedOut = true;
    terminator.terminate();
  }, spec.timeoutMs);
  const onAbort = (): void => {
    aborted = true;
    terminator.terminate();
  };
  spec.signal?.addEventListener('abort', onAbort, { once: true });
  const exited = new Promise<ExitInfo>((resolve) => {
    const finish = (exitCode: number | null, signal: NodeJS.Signals | null, spawnError?: string): void => {
      clearTimeout(timer);
      spec.signal?.removeEventListener('abort', onAbort);
      child.off('exit', onExit);
      child.off('error', onError);
      const durationMs = performance.now() - startedAt;
      void drainThenDestroy([stdout, stderr], EXIT_DRAIN_MS).then(() => {
        stdin?.destroy();
        resolve({ exitCode, signal, timedOut, aborted, spawnError, durationMs });
      });
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
      finish(code, signal);
    };
    const onError = (err: unknown): void => {
      if (child.pid === undefined) {
        finish(null, null, errorMessage(err));
      }
    };
    child.once('exit', onExit);
    child.on('error', onError);
  });
  return {
    stdin,
    stdout,
    stderr,
    exited,
    kill: () => {
      terminator.terminate();
    },
  };
}

/** Waits until every stream has closed or `ms` has passed, then destroys them all. */
function drainThenDestroy(streams: readonly (Readable | null)[], ms: number): Promise<void> {
  const open = streams.filter((s): s is Readable => s !== null && !s.closed);
  if (open.length === 0) {
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    let remaining = open.length;
    const finish = (): void => {
      clearTimeout(timer);
      for (const stream of open) {
        stream.off('close', onClose);
        stream.destroy();
      }
      resolve();
    };
    const onClose = (): void => {
      remaining -= 1;
      if (remaining === 0) {
        finish();
      }
    };
    const timer = setTimeout(finish, ms);
    for (const stream of open) {
      stream.once('close', onClose);
    }
  });
}

function ignore(): void {
  // Deliberately empty: see supervise().
}
