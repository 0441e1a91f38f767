/**
 * Running system tools (iptables, nft, ip, ...) from stock scripts.
 *
 * Tools are looked up in a fixed list of system directories, not in $PATH (Wazuh's
 * `get_binary_path` uses $PATH; a script running as root should not trust the caller's PATH).
 * Every value is an argv element; nothing goes through a shell. Spawning is delegated to
 * src/exec/run-process.ts, the one hardened runner.
 */
import { accessSync, constants } from 'node:fs';
import { runProcess, type ProcessResult, type ProcessSpec } from '../../exec/run-process.js';
import { ScriptFailure } from './stock-script.js';
import { currentToolScope, dryRunSink } from './tool-scope.js';

/** Where system tools are searched, in order. */
export const SYSTEM_BIN_DIRS: readonly string[] = [
  '/usr/sbin',
  '/sbin',
  '/usr/bin',
  '/bin',
  '/usr/local/sbin',
  '/usr/local/bin',
];

/** Runs one process to completion (run-process's runProcess, or the spawn workers' `run`). */
export type ToolProcessRunner = (spec: ProcessSpec) => Promise<ProcessResult>;

let processRunner: ToolProcessRunner = runProcess;

/**
 * Where this process's tools are started: the daemon hands them to its spawn workers, so a tool's
 * fork + exec (milliseconds each, more as the daemon grows) never blocks its main event loop.
 * Pass undefined to start them on the calling thread again (the default).
 */
export function setToolProcessRunner(runner: ToolProcessRunner | undefined): void {
  processRunner = runner ?? runProcess;
}

/** Default time limit for one tool run, in ms. */
export const TOOL_TIMEOUT_MS = 30_000;

const resolved = new Map<string, string | undefined>();

/** Absolute path of an executable named `name` in {@link SYSTEM_BIN_DIRS}; undefined when absent. Cached. */
export function resolveBinary(name: string): string | undefined {
  if (resolved.has(name)) {
    return resolved.get(name);
  }
  let found: string | undefined;
  for (const dir of SYSTEM_BIN_DIRS) {
    try {
      accessSync(`${dir}/${name}`, constants.X_OK);
      found = `${dir}/${name}`;
      break;
    } catch {
      // not here; try the next directory
    }
  }
  resolved.set(name, found);
  return found;
}

export interface ToolRun {
  /** Tool name, resolved with {@link resolveBinary}. */
  readonly tool: string;
  readonly args: readonly string[];
  /** Written to stdin, which is then closed. */
  readonly input?: string;
  /** @default TOOL_TIMEOUT_MS */
  readonly timeoutMs?: number;
  /** Stops the tool when aborted. @default the signal of the current tool scope (tool-scope.ts) */
  readonly signal?: AbortSignal;
}

/** What a dry run answers for a recorded command: success, no output. */
const DRY_RUN_RESULT: ProcessResult = Object.freeze({
  exitCode: 0,
  signal: null,
  timedOut: false,
  aborted: false,
  stdout: '',
  stderr: '',
  spawnError: undefined,
  durationMs: 0,
});

/**
 * Runs a tool and returns its result whatever the exit status. In a dry run (tool-scope.ts) the
 * command is recorded instead and the answer is a success with no output.
 * @throws ScriptFailure when the tool is not installed, cannot be started, times out or is aborted.
 */
export async function runTool(run: ToolRun): Promise<ProcessResult> {
  const file = resolveBinary(run.tool);
  if (file === undefined) {
    throw new ScriptFailure(`The ${run.tool} file is not accessible in ${SYSTEM_BIN_DIRS.join(':')}`);
  }
  const record = dryRunSink();
  if (record !== undefined) {
    record({ file, args: [...run.args], input: run.input });
    return DRY_RUN_RESULT;
  }
  const signal = run.signal ?? currentToolScope()?.signal;
  const result = await processRunner({
    file,
    args: run.args,
    timeoutMs: run.timeoutMs ?? TOOL_TIMEOUT_MS,
    ...(run.input === undefined ? {} : { input: run.input }),
    ...(signal === undefined ? {} : { signal }),
  });
  if (result.aborted) {
    throw new ScriptFailure(`Unable to run ${run.tool}: stopped (the execution's time limit passed)`);
  }
  if (result.spawnError !== undefined) {
    throw new ScriptFailure(`Unable to run ${run.tool}: ${result.spawnError}`);
  }
  if (result.timedOut) {
    throw new ScriptFailure(
      `Unable to run ${run.tool}: timed out after ${run.timeoutMs ?? TOOL_TIMEOUT_MS} ms`,
    );
  }
  return result;
}

/** First line of a tool's stderr (or stdout), for log messages. */
export function firstOutputLine(result: ProcessResult): string {
  const text = result.stderr.trim() || result.stdout.trim();
  return text.split('\n')[0] ?? '';
}

/**
 * Runs a tool that must succeed.
 * @throws ScriptFailure `Unable to run <tool> <args>: <stderr>` on a non-zero exit.
 */
export async function runToolChecked(run: ToolRun): Promise<ProcessResult> {
  const result = await runTool(run);
  if (result.exitCode !== 0) {
    const detail = firstOutputLine(result) || `exit ${String(result.exitCode ?? result.signal)}`;
    throw new ScriptFailure(`Unable to run ${run.tool} ${run.args.join(' ')}: ${detail}`);
  }
  return result;
}
