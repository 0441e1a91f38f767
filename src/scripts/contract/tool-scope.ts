/**
 * What the host of an in-process script run hands down to every tool the script starts, without
 * threading it through each stock script's code: carried by AsyncLocalStorage from the in-process
 * runner (src/agent/executor) to runTool (tools.ts).
 *
 * - `signal`: aborting it stops the tools the run started (SIGTERM to their process groups) and makes
 *   later runTool calls fail at once, so a timed-out in-process script really stops.
 * - `record`: dry run; runTool records the exact command (path, argv, stdin) here instead of running
 *   it and answers as if it had succeeded with no output.
 *
 * Process-wide dry run (`setProcessDryRun`) is the safety net: a tool started outside any scope (a
 * batched transaction flushed later, a probe) is recorded to the fallback sink, never run.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

/** One command a dry run would have started. */
export interface RecordedCommand {
  /** Absolute path of the tool (what execve would get). */
  readonly file: string;
  readonly args: readonly string[];
  /** What would have been written to its stdin (e.g. the whole `nft -f -` script). */
  readonly input: string | undefined;
}

export interface ToolScope {
  readonly signal?: AbortSignal;
  readonly record?: (command: RecordedCommand) => void;
}

const storage = new AsyncLocalStorage<ToolScope>();
let processDryRun: ((command: RecordedCommand) => void) | undefined;

/** Runs `fn` with `scope` visible to every tool it starts (including after awaits). */
export function runInToolScope<T>(scope: ToolScope, fn: () => T): T {
  return storage.run(scope, fn);
}

/** The scope of the current async context, if any. */
export function currentToolScope(): ToolScope | undefined {
  return storage.getStore();
}

/**
 * Makes the whole process a dry run: no tool is ever started; commands outside a recording scope go
 * to `fallback`. Pass undefined to turn it off (tests).
 */
export function setProcessDryRun(fallback: ((command: RecordedCommand) => void) | undefined): void {
  processDryRun = fallback;
}

/** Where a tool command goes instead of running: undefined = run it for real. */
export function dryRunSink(): ((command: RecordedCommand) => void) | undefined {
  return storage.getStore()?.record ?? processDryRun;
}

/** One command as a shell-like line for logs and execution output (argv elements quoted when needed). */
export function formatCommand(command: RecordedCommand): string {
  const quote = (a: string): string =>
    /^[A-Za-z0-9_./:=@%+,-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
  const line = [command.file, ...command.args].map(quote).join(' ');
  return command.input === undefined ? line : `${line} <<'EOF'\n${command.input.replace(/\n$/, '')}\nEOF`;
}
