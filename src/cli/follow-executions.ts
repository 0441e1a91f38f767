/**
 * `riposte ar history --follow`: after the history, a live feed of executions with their outcome,
 * one line each, from the API's `GET /executions/stream` (Server-Sent Events, the endpoint the web
 * console uses too), until interrupted. Table lines use fixed columns so they stay aligned as they
 * arrive; `--output json` prints one JSON object per line.
 */
import type { Readable } from 'node:stream';
import { executionView, type ExecutionView } from '../api/routes/views.js';
import type { ApiTimes } from '../protocol/api-times.js';
import type { FleetExecution } from '../protocol/fleet-records.js';
import { ErrorCode, RiposteError } from '../protocol/error-codes.js';
import type { RemoteClient } from './remote-client.js';
import { sseEvents } from './sse-reader.js';

/** Column widths of a followed line: started, agent, action, AR name, key, status, exit. */
const WIDTHS = [24, 5, 7, 20, 30, 11, 4] as const;

export const FOLLOW_HEADER = ['STARTED', 'AGENT', 'ACTION', 'AR NAME', 'KEY', 'STATUS', 'EXIT', 'NOTE'];

function line(cells: readonly string[]): string {
  return cells
    .map((c, i) => {
      const w = WIDTHS[i];
      return w === undefined ? c : c.padEnd(w);
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
    e.note ?? '',
  ]);
}

export function followHeader(): string {
  return line(FOLLOW_HEADER);
}

/**
 * Prints each execution event of `stream` until it ends. `json`: one ExecutionView per line.
 * Events other than `execution`, and data that is not an execution, are skipped.
 */
export async function printExecutionStream(
  stream: Readable,
  json: boolean,
  out: (text: string) => void,
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
    out(json ? `${JSON.stringify(view)}\n` : `${followLine(view)}\n`);
  }
}

/** Opens the daemon's `GET /executions/stream` and prints it until it ends or the user stops. */
export async function followExecutions(
  client: RemoteClient,
  agent: string | undefined,
  json: boolean,
  out: (text: string) => void,
): Promise<void> {
  if (client.stream === undefined) {
    throw new RiposteError(ErrorCode.REQUEST_INVALID, '--follow: this daemon has no live feed of executions');
  }
  const path = `/executions/stream${agent === undefined ? '' : `?agent=${encodeURIComponent(agent)}`}`;
  await printExecutionStream(await client.stream(path), json, out);
}
