/**
 * One page of the fleet's active responses, as `GET /active-responses` serves it with `limit`:
 * filtered (agent, command, IP address or CIDR network, user), sorted, and cut by a keyset cursor.
 *
 * The cursor names the last row of the previous page by its sort value, agent id and key, so a
 * page never repeats or skips a row that stayed in place while others came or went (an offset
 * would). Pure functions over an array: the route hands them a snapshot of the store.
 */
import {
  formatIp,
  networkContains,
  parseIp,
  parseNetwork,
  unmapIpv4,
  type IpAddress,
  type IpNetwork,
} from '../core/net/ip.js';
import { ErrorCode, RiposteError } from '../protocol/error-codes.js';
import type { FleetActiveResponse } from '../protocol/fleet-records.js';
import { programName } from '../core/program-name.js';

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

/** Parsed source addresses, per row object (rows are immutable; the index keeps them). */
const addresses = new WeakMap<FleetActiveResponse, IpAddress | null>();

function addressOf(a: FleetActiveResponse): IpAddress | null {
  let addr = addresses.get(a);
  if (addr === undefined) {
    addr = (a.srcip === undefined ? undefined : parseIp(a.srcip)) ?? null;
    addresses.set(a, addr);
  }
  return addr;
}

/**
 * The network an `ip` filter names. A plain address given in IPv4-mapped form ("::ffff:10.0.0.1")
 * means the IPv4 address, as everywhere else in the API (core/execd/active-filter.ts).
 */
function filterNetwork(text: string): IpNetwork | undefined {
  const addr = text.includes('/') ? undefined : parseIp(text);
  return addr === undefined ? parseNetwork(text) : parseNetwork(formatIp(unmapIpv4(addr)));
}

/** The filter predicate for a query. @throws RiposteError REQUEST_INVALID for a bad ip */
export function activePredicate(q: ActivePageQuery): (a: FleetActiveResponse) => boolean {
  const net = q.ip === undefined ? undefined : filterNetwork(q.ip);
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
    if (q.command !== undefined && a.arName !== q.command && programName(a.program) !== q.command) {
      return false;
    }
    if (q.user !== undefined && a.user !== q.user) {
      return false;
    }
    if (net === undefined) {
      return true;
    }
    const addr = addressOf(a);
    return addr !== null && networkContains(net, addr);
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

/** A row with its sort tuple. */
export interface SortedRow {
  readonly a: FleetActiveResponse;
  readonly t: Tuple;
}

/** Rows ascending by (sort value, agent, key). */
export function sortRows(rows: Iterable<FleetActiveResponse>, sort: ActiveSort): SortedRow[] {
  const out: SortedRow[] = [];
  for (const a of rows) {
    out.push({ a, t: tupleOf(a, sort) });
  }
  return out.sort((x, y) => compareTuples(x.t, y.t));
}

/** First index whose tuple is > `after` (or >= when `inclusive`), by binary search. */
function lowerBound(rows: readonly SortedRow[], after: Tuple, inclusive: boolean): number {
  let lo = 0;
  let hi = rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const c = compareTuples(rows[mid]?.t ?? after, after);
    if (c < 0 || (c === 0 && !inclusive)) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

const isUnfiltered = (q: ActivePageQuery): boolean =>
  q.agent === undefined && q.command === undefined && q.ip === undefined && q.user === undefined;

/** Index in `sorted` of the first row of the page (in page order). */
function startIndex(sorted: readonly SortedRow[], q: ActivePageQuery): number {
  const after = q.cursor === undefined ? undefined : decodeCursor(q.cursor, q.sort);
  if (after === undefined) {
    return q.desc ? sorted.length - 1 : 0;
  }
  return q.desc ? lowerBound(sorted, after, true) - 1 : lowerBound(sorted, after, false);
}

/** Collects up to `limit` rows and counts every row offered. */
class PageCollector {
  readonly page: SortedRow[] = [];
  more = false;
  total = 0;

  constructor(private readonly limit: number) {}

  offer(row: SortedRow, inPage: boolean): void {
    this.total++;
    if (!inPage) {
      return;
    }
    if (this.page.length < this.limit) {
      this.page.push(row);
    } else {
      this.more = true;
    }
  }
}

/**
 * The page the query asks for, from rows sorted ascending by `q.sort` ({@link sortRows}): one
 * pass that collects the page from the cursor on and counts every match.
 * @throws RiposteError REQUEST_INVALID (bad ip or cursor)
 */
export function activePage(sorted: readonly SortedRow[], q: ActivePageQuery): ActivePage {
  const keep = isUnfiltered(q) ? () => true : activePredicate(q);
  const first = startIndex(sorted, q);
  const c = new PageCollector(q.limit);
  const n = sorted.length;
  for (let j = 0; j < n; j++) {
    const k = q.desc ? n - 1 - j : j;
    const row = sorted[k];
    if (row !== undefined && keep(row.a)) {
      c.offer(row, q.desc ? k <= first : k >= first);
    }
  }
  const last = c.page[c.page.length - 1];
  return {
    items: c.page.map((r) => r.a),
    total: c.total,
    ...(c.more && last !== undefined ? { nextCursor: encodeCursor(last.t) } : {}),
  };
}
