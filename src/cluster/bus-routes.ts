/**
 * Which node holds which agent's link, as the order bus learns it (order-bus.ts). A node that
 * stores an order for an agent whose link is on another node routes it to that node alone, rather
 * than to every node: each node then reads only its own agents' orders, whatever the number of
 * nodes. Learned from route changes that nodes announce on the bus when an agent's hello arrives
 * (held) or its link closes (released), and when an order sent to every node finds its agent.
 *
 * A hint, like the bus itself: a node that gets an order routed to it for an agent it does not
 * hold sends it on to every node, and the store's sweep covers an order routed to a node that
 * died. Pure: no I/O, no clock.
 */

/** Agents whose link a node now holds (`held`) or let go (`released`); an agent is in one list at most. */
export interface RouteChange {
  readonly held: readonly string[];
  readonly released: readonly string[];
}

/** Orders through this node's bus, for the metrics (runtime-wide counts since start). */
export interface BusTraffic {
  /** Orders received that were routed to this node alone. */
  readonly routed: number;
  /** Orders received that were sent to every node. */
  readonly broadcast: number;
  /** Orders routed here whose agent was not here, sent on to every node. */
  readonly forwarded: number;
  /** Agents whose node this node knows. */
  readonly routes: number;
}

/** Largest number of agents remembered; past it the oldest learned are forgotten (sent to every node). */
export const MAX_ROUTES = 1_000_000;
/** Every node says it is alive at least this often (an empty route change, bus-routing.ts). */
export const ALIVE_EVERY_MS = 10_000;
/**
 * A node not heard from for this long is taken for gone: its agents' orders go to every node
 * again (a node that died, or one whose announcements were lost, never releases its agents).
 */
export const NODE_SILENT_MS = 3 * ALIVE_EVERY_MS;

export class BusRoutes {
  private readonly byAgent = new Map<string, string>();
  /** When each node was last heard from (any message of it). */
  private readonly heard = new Map<string, number>();

  constructor(private readonly max = MAX_ROUTES) {}

  get size(): number {
    return this.byAgent.size;
  }

  /** Notes a message from `node` at `now`; nodes silent for ten times the limit are forgotten. */
  heardFrom(node: string, now: number): void {
    this.heard.delete(node); // re-inserted: the Map's order is the order heard
    this.heard.set(node, now);
    for (const [n, at] of this.heard) {
      if (now - at < 10 * NODE_SILENT_MS) {
        break;
      }
      this.heard.delete(n);
    }
  }

  /** The node that holds `agentId`'s link, if known and heard from within NODE_SILENT_MS. */
  nodeOf(agentId: string, now: number): string | undefined {
    const node = this.byAgent.get(agentId);
    const at = node === undefined ? undefined : this.heard.get(node);
    return at !== undefined && now - at < NODE_SILENT_MS ? node : undefined;
  }

  /** Applies `node`'s change: a release forgets an agent only if `node` is the one known to hold it. */
  apply(node: string, change: RouteChange): void {
    for (const id of change.released) {
      if (this.byAgent.get(id) === node) {
        this.byAgent.delete(id);
      }
    }
    for (const id of change.held) {
      this.byAgent.delete(id); // re-inserted: the Map's order is the order learned
      this.byAgent.set(id, node);
    }
    for (const id of this.byAgent.keys()) {
      if (this.byAgent.size <= this.max) {
        break;
      }
      this.byAgent.delete(id);
    }
  }

  /** Forgets every route (after this node's bus was down: what it missed may have moved them). */
  clear(): void {
    this.byAgent.clear();
  }

  /**
   * `orders` by the node holding their agent's link; key undefined: not known (or its node silent
   * too long), for every node.
   */
  split<T extends { readonly agentId: string }>(
    orders: readonly T[],
    now: number,
  ): Map<string | undefined, T[]> {
    const out = new Map<string | undefined, T[]>();
    for (const o of orders) {
      const node = this.nodeOf(o.agentId, now);
      const part = out.get(node);
      if (part === undefined) {
        out.set(node, [o]);
      } else {
        part.push(o);
      }
    }
    return out;
  }
}

/**
 * Collects a node's own route changes until they are announced: the last event of an agent wins
 * (a link closed and opened again in one turn is held).
 */
export class RouteChanges {
  private readonly last = new Map<string, boolean>();

  get size(): number {
    return this.last.size;
  }

  note(agentId: string, held: boolean): void {
    this.last.delete(agentId);
    this.last.set(agentId, held);
  }

  /** The change collected since the last take, and starts again. */
  take(): RouteChange {
    const held: string[] = [];
    const released: string[] = [];
    for (const [id, h] of this.last) {
      (h ? held : released).push(id);
    }
    this.last.clear();
    return { held, released };
  }
}

/**
 * Wire form of a route change (order-bus.ts has the batches'): a JSON line
 * `{"n":"<sender>","h":[agent ids],"r":[agent ids]}\n`, split into messages of at most `maxBytes`;
 * an empty change is one message with both lists empty.
 */
export function packRoutes(node: string, change: RouteChange, maxBytes: number): string[] {
  const items = [
    ...change.held.map((id) => ({ id, held: true })),
    ...change.released.map((id) => ({ id, held: false })),
  ];
  const out: string[] = [];
  const overhead = Buffer.byteLength(`{"n":${JSON.stringify(node)},"h":[],"r":[]}\n`);
  let part: { held: string[]; released: string[] } = { held: [], released: [] };
  let size = overhead;
  const emit = (): void => {
    out.push(`${JSON.stringify({ n: node, h: part.held, r: part.released })}\n`);
    part = { held: [], released: [] };
    size = overhead;
  };
  for (const { id, held } of items) {
    const itemSize = Buffer.byteLength(JSON.stringify(id)) + 1;
    if (overhead + itemSize > maxBytes) {
      continue; // an agent id longer than a message: never routed, its orders go to every node
    }
    if (size + itemSize > maxBytes) {
      emit();
    }
    (held ? part.held : part.released).push(id);
    size += itemSize;
  }
  if (part.held.length + part.released.length > 0 || out.length === 0) {
    emit(); // an empty change is one empty message: the node is alive
  }
  return out;
}

function stringList(v: unknown): string[] | undefined {
  return Array.isArray(v) && v.every((x) => typeof x === 'string') ? v : undefined;
}

/** A route change's header fields, checked; undefined when malformed (or followed by anything). */
export function decodeRoutes(
  header: { h?: unknown; r?: unknown },
  nothingAfter: boolean,
): RouteChange | undefined {
  const held = stringList(header.h);
  const released = stringList(header.r);
  return held === undefined || released === undefined || !nothingAfter ? undefined : { held, released };
}
