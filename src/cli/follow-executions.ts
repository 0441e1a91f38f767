/**
 * `riposte ar history --follow`: after the history, a live feed of executions with their outcome,
 * one line each, from the API's `GET /executions/stream` (Server-Sent Events, the endpoint the web
 * console uses too), until interrupted. Table lines use fixed columns so they stay aligned as they
 * arrive; `--output json` prints one JSON object per line. The feed ending is an error (exit 3).
 */
import type { Readable } from 'node:stream';
import { executionView, type ExecutionView } from '../api/routes/views.js';
import type { ApiTimes } from '../protocol/api-times.js';
import type { FleetExecution } from '../protocol/fleet-records.js';
import { ErrorCode, RiposteError } from '../protocol/error-codes.js';
import { errorMessage } from '../protocol/error-message.js';
import { noteCell } from './execution-note.js';
import { printable } from '../protocol/printable.js';
import type { RemoteClient } from './remote-client.js';
import { sseEvents } from './sse-reader.js';

/** Column widths of a followed line: started, agent, action, AR name, key, status, exit. */
const WIDTHS = [24, 5, 7, 20, 30, 11, 4] as const;

export const FOLLOW_HEADER = ['STARTED', 'AGENT', 'ACTION', 'AR NAME', 'KEY', 'STATUS', 'EXIT', 'NOTE'];

function line(cells: readonly string[]): string {
  return cells
    .map((c, i) => {
      const w = WIDTHS[i];
      const text = printable(c);
      return w === undefined ? text : text.padEnd(w);
    })
    .join('  ')
    .trimEnd();
}

/** One aligned line for an execution. */
export function followLine(e: ExecutionView): string {
  return line([
    e.started_at ?? '',
    e.agent_id,
    e.action,
    e.ar_name,
    e.key ?? '-',
    e.status,
    e.exit_code === null ? (e.signal ?? '-') : String(e.exit_code),
    noteCell(e),
  ]);
}

export function followHeader(): string {
  return line(FOLLOW_HEADER);
}

/** How followed executions are printed. */
export interface FollowOutput {
  /** One ExecutionView per line (JSON) instead of aligned table lines. */
  readonly json: boolean;
  readonly out: (text: string) => void;
  /** Only the executions it keeps are printed (`ar history` filters). @default every one */
  readonly keep?: ((e: ExecutionView) => boolean) | undefined;
}

/**
 * Prints each execution event of `stream` until it ends. Events other than `execution`, and data
 * that is not an execution, are skipped.
 */
export async function printExecutionStream(
  stream: Readable,
  { json, out, keep }: FollowOutput,
): Promise<void> {
  if (!json) {
    out(`${followHeader()}\n`);
  }
  for await (const ev of sseEvents(stream)) {
    if (ev.event !== 'execution') {
      continue;
    }
    let view: ExecutionView;
    try {
      view = executionView(JSON.parse(ev.data) as ApiTimes<FleetExecution>);
    } catch {
      continue;
    }
    if (keep === undefined || keep(view)) {
      out(json ? `${JSON.stringify(view)}\n` : `${followLine(view)}\n`);
    }
  }
}

/**
 * Opens the daemon's `GET /executions/stream` and prints it until the user stops. The feed never
 * ends by design, so its end (the daemon stopped or restarted) or its failure (connection reset,
 * silent past STREAM_IDLE_MS) is an error, never a silent exit 0: a script or a supervisor running
 * `--follow` must learn that it no longer follows anything.
 * @throws RiposteError DAEMON_UNREACHABLE when the feed ends or breaks (exit 3)
 */
export async function followExecutions(
  client: RemoteClient,
  agent: string | undefined,
  output: FollowOutput,
): Promise<void> {
  if (client.stream === undefined) {
    throw new RiposteError(ErrorCode.REQUEST_INVALID, '--follow: this daemon has no live feed of executions');
  }
  const path = `/executions/stream${agent === undefined ? '' : `?agent=${encodeURIComponent(agent)}`}`;
  const stream = await client.stream(path);
  try {
    await printExecutionStream(stream, output);
  } catch (err: unknown) {
    throw new RiposteError(
      ErrorCode.DAEMON_UNREACHABLE,
      `The live feed of executions from ${client.url.href} broke: ${errorMessage(err)}`,
      undefined,
      { cause: err },
    );
  }
  throw new RiposteError(
    ErrorCode.DAEMON_UNREACHABLE,
    `The live feed of executions from ${client.url.href} ended: the daemon closed it (stopped or restarted?)`,
  );
}
