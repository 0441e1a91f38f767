/**
 * Wazuh-compatible `PUT /active-response?agents_list=001,002` (reference §6.2): body
 * `{command, arguments?, alert?}`, unknown fields -> 400, Content-Type must be JSON. The per-agent
 * checks (1701 unknown agent, 1707 not active, 1750 AR disabled, 1650 empty command, 1652 unknown
 * command) and the result shape (`data.affected_items`, `failed_items`, `message`, `error`
 * 0/1/2) are the service's; this route only validates and converts the request.
 *
 * `dry_run=true` (Riposte's) makes it a dry run: the orders and executions are recorded and logged
 * as usual, but the agent's dry-run executor runs them, so nothing touches the host, and each
 * execution's output lists the exact commands that would have run.
 *
 * `pretty=true` indents the JSON like Wazuh's API (3 spaces); `wait_for_complete` is accepted for
 * compatibility and has no effect (the call never waits for agents: orders are durable).
 */
import type { FastifyInstance } from 'fastify';
import type { RunRequest } from '../../protocol/fleet-records.js';
import type { JsonObject } from '../../protocol/json.js';
import { ErrorCode, RiposteError } from '../../protocol/error-codes.js';
import type { ManagerApiDeps } from '../api-deps.js';
import { AGENT_LIST, AR_COMMAND, QUERY_BOOLEAN, strictObject } from '../schemas.js';

export interface RunBody {
  command: string;
  arguments?: string[];
  alert?: JsonObject;
}

export interface RunQuery {
  agents_list?: string;
  pretty?: 'true' | 'false';
  wait_for_complete?: 'true' | 'false';
  /** Riposte's: a dry run (nothing touches the host; the executions list what would have run). */
  dry_run?: 'true' | 'false';
}

/** The route's schema (the bare agent's local API validates runs with it too). */
export const RUN_SCHEMA = {
  querystring: strictObject({
    agents_list: AGENT_LIST,
    pretty: QUERY_BOOLEAN,
    wait_for_complete: QUERY_BOOLEAN,
    dry_run: QUERY_BOOLEAN,
  }),
  body: strictObject(
    {
      command: AR_COMMAND,
      arguments: { type: 'array', maxItems: 64, items: { type: 'string', maxLength: 4096 } },
      alert: { type: 'object' },
    },
    ['command'],
  ),
};

/** The service request for a validated body and query. @throws RiposteError REQUEST_INVALID */
export function toRunRequest(body: RunBody, query: RunQuery): RunRequest {
  if (body.command.replace(/^!/, '').split('/').includes('..')) {
    throw new RiposteError(
      ErrorCode.REQUEST_INVALID,
      `Cannot run "${body.command}": the command may not contain ".."`,
    );
  }
  const agents = query.agents_list === undefined ? 'all' : [...new Set(query.agents_list.split(','))];
  return {
    command: body.command,
    arguments: body.arguments ?? [],
    alert: body.alert ?? {},
    agents,
    ...(query.dry_run === 'true' ? { dryRun: true } : {}),
  };
}

export function register(app: FastifyInstance, deps: ManagerApiDeps): void {
  app.put<{ Body: RunBody; Querystring: RunQuery }>(
    '/active-response',
    { schema: RUN_SCHEMA, config: { access: 'operator' } },
    async (request, reply) => {
      const result = await deps.service.run(toRunRequest(request.body, request.query));
      if (request.query.pretty === 'true') {
        return reply.type('application/json; charset=utf-8').send(JSON.stringify(result, null, 3));
      }
      return result;
    },
  );
}
