/**
 * The contracts of the process runner (run-process.ts re-exports them; import from there).
 * Types only.
 */
import type { LineRead } from './line-reader.js';

/** A command to run to completion. */
export interface ProcessSpec {
  /** Absolute path, or a name looked up in PATH (spawn semantics; never a shell). */
  readonly file: string;
  readonly args: readonly string[];
  /** argv[0] the child sees. @default file */
  readonly argv0?: string;
  readonly cwd?: string;
  /** @default process.env; undefined values are left out. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Written to stdin, then stdin is closed; absent: stdin is /dev/null. */
  readonly input?: string;
  /** Time limit in ms; then SIGTERM to the whole process group, SIGKILL after killGraceMs. */
  readonly timeoutMs: number;
  /** @default 2000 ms */
  readonly killGraceMs?: number;
  /** Per stream; the rest is drained and dropped. @default 1 MiB */
  readonly maxOutputBytes?: number;
  /**
   * Aborting it stops the run like the time limit does (SIGTERM to the group, SIGKILL after the
   * grace period) and the result says `aborted`. Already aborted: nothing is started.
   */
  readonly signal?: AbortSignal;
}

export interface ProcessResult {
  /** null when killed by a signal or not spawned. */
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  /** The time limit fired (the process was then signalled). */
  readonly timedOut: boolean;
  /** The caller's signal aborted the run (the process was then signalled, or never started). */
  readonly aborted: boolean;
  readonly stdout: string;
  readonly stderr: string;
  /** Why the process could not be started, e.g. "spawn /x ENOENT"; undefined if it started. */
  readonly spawnError: string | undefined;
  /** From spawn to exit, in ms (monotonic clock). */
  readonly durationMs: number;
}

/** A process talked to line by line (execd's script exchange). */
export interface InteractiveSpec {
  readonly file: string;
  readonly args: readonly string[];
  readonly argv0?: string;
  readonly cwd?: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Time limit in ms for the whole run, as for ProcessSpec. */
  readonly timeoutMs: number;
  /** @default 2000 ms */
  readonly killGraceMs?: number;
  /** 'ignore' = no stdout pipe at all (execd's delete runs). */
  readonly stdout: 'lines' | 'ignore';
  /** Keep only the last N bytes of stderr. */
  readonly stderrTailBytes: number;
  /** A longer stdout line is cut there (Wazuh reads at most 8191 bytes). */
  readonly maxLineBytes: number;
}

export interface ProcessExit {
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly timedOut: boolean;
  readonly aborted: boolean;
  readonly stderrTail: string;
  readonly spawnError: string | undefined;
  /** From spawn to exit, in ms (monotonic clock). */
  readonly durationMs: number;
}

export interface InteractiveProcess {
  /** Writes `line` + "\n". EPIPE and writes after exit or closeStdin are ignored. */
  writeLine(line: string): void;
  closeStdin(): void;
  /** The first stdout line (without "\n"), delivered once; later calls get eof. Further stdout is discarded. */
  readLine(timeoutMs: number): Promise<LineRead>;
  /** Resolves on process exit; never rejects. */
  readonly done: Promise<ProcessExit>;
  /** SIGTERM to the group, SIGKILL after the grace period. Idempotent. */
  kill(): void;
}

/** Starts an interactive process: in this thread (startProcess) or through the spawn workers. */
export type ProcessStarter = (spec: InteractiveSpec) => InteractiveProcess;
