/**
 * One page of the fleet's active responses, as `GET /active-responses` serves it with `limit`:
 * filtered (agent, command, IP address or CIDR network, user), sorted, and cut by a keyset cursor.
 *
 * The cursor names the last row of the previous page by its sort value, agent id and key, so a
 * page never repeats or skips a row that stayed in place while others came or went (an offset
 * would). Pure functions over an array: the route hands them a snapshot of the store.
 */
import { networkContains, parseIp, parseNetwork } from '../core/net/ip.js';
import { ErrorCode, RiposteError } from '../protocol/error-codes.js';
import type { FleetActiveResponse } from '../protocol/fleet-records.js';

export const ACTIVE_SORTS = ['since', 'expires', 'key', 'agent', 'command', 'repeat'] as const;
export type ActiveSort = (typeof ACTIVE_SORTS)[number];

export interface ActivePageQuery {
  readonly agent?: string | undefined;
  readonly command?: string | undefined;
  /** An address ("10.0.0.1") or a network ("10.0.0.0/8", "2001:db8::/32"). */
  readonly ip?: string | undefined;
  readonly user?: string | undefined;
  readonly sort: ActiveSort;
  readonly desc: boolean;
  readonly limit: number;
  readonly cursor?: string | undefined;
}

export interface ActivePage {
  readonly items: FleetActiveResponse[];
  /** Rows matching the filters (all pages). */
  readonly total: number;
  /** Pass as `cursor` for the next page; absent on the last page. */
  readonly nextCursor?: string;
}

type SortValue = number | string;

const basename = (program: string): string => program.slice(program.lastIndexOf('/') + 1);

function sortValue(a: FleetActiveResponse, sort: ActiveSort): SortValue {
  switch (sort) {
    case 'since':
      return a.createdAt;
    case 'expires':
      return a.expiresAt;
    case 'key':
      return a.key;
    case 'agent':
      return a.agentId;
    case 'command':
      return a.arName;
    case 'repeat':
      return a.repeatCount;
  }
}

type Tuple = readonly [SortValue, string, string];

const tupleOf = (a: FleetActiveResponse, sort: ActiveSort): Tuple => [sortValue(a, sort), a.agentId, a.key];

function compareValues(x: SortValue, y: SortValue): number {
  if (x === y) {
    return 0;
  }
  return x < y ? -1 : 1;
}

function compareTuples(x: Tuple, y: Tuple): number {
  return compareValues(x[0], y[0]) || compareValues(x[1], y[1]) || compareValues(x[2], y[2]);
}

/** The filter predicate for a query. @throws RiposteError REQUEST_INVALID for a bad ip */
export function activePredicate(q: ActivePageQuery): (a: FleetActiveResponse) => boolean {
  const net = q.ip === undefined ? undefined : parseNetwork(q.ip);
  if (q.ip !== undefined && net === undefined) {
    throw new RiposteError(
      ErrorCode.REQUEST_INVALID,
      `Cannot filter by ip "${q.ip}": not an IP address or network (CIDR)`,
    );
  }
  return (a) => {
    if (q.agent !== undefined && a.agentId !== q.agent) {
      return false;
    }
    if (q.command !== undefined && a.arName !== q.command && basename(a.program) !== q.command) {
      return false;
    }
    if (q.user !== undefined && a.user !== q.user) {
      return false;
    }
    if (net === undefined) {
      return true;
    }
    const addr = a.srcip === undefined ? undefined : parseIp(a.srcip);
    return addr !== undefined && networkContains(net, addr);
  };
}

function encodeCursor(t: Tuple): string {
  return Buffer.from(JSON.stringify(t), 'utf8').toString('base64url');
}

function decodeCursor(cursor: string, sort: ActiveSort): Tuple {
  try {
    const v: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    const numeric = sort === 'since' || sort === 'expires' || sort === 'repeat';
    if (
      Array.isArray(v) &&
      v.length === 3 &&
      typeof v[0] === (numeric ? 'number' : 'string') &&
      typeof v[1] === 'string' &&
      typeof v[2] === 'string'
    ) {
      return [v[0] as SortValue, v[1], v[2]];
    }
  } catch {
    // fall through to the error below
  }
  throw new RiposteError(
    ErrorCode.REQUEST_INVALID,
    `Invalid cursor "${cursor.slice(0, 80)}" for sort "${sort}"`,
  );
}

/** The page of `all` the query asks for. @throws RiposteError REQUEST_INVALID (bad ip or cursor) */
export function activePage(all: readonly FleetActiveResponse[], q: ActivePageQuery): ActivePage {
  const keep = activePredicate(q);
  const sign = q.desc ? -1 : 1;
  const rows = all
    .filter(keep)
    .map((a) => ({ a, t: tupleOf(a, q.sort) }))
    .sort((x, y) => sign * compareTuples(x.t, y.t));
  let start = 0;
  if (q.cursor !== undefined) {
    const after = decodeCursor(q.cursor, q.sort);
    // First row strictly after the cursor in the page order (binary search).
    let lo = 0;
    let hi = rows.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const row = rows[mid];
      if (row !== undefined && sign * compareTuples(row.t, after) <= 0) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    start = lo;
  }
  const page = rows.slice(start, start + q.limit);
  const last = page[page.length - 1];
  const more = start + q.limit < rows.length && last !== undefined;
  return {
    items: page.map((r) => r.a),
    total: rows.length,
    ...(more ? { nextCursor: encodeCursor(last.t) } : {}),
  };
}
