/**
 * Where the manager keeps its alerts.json tail position: the store setting
 * `alerts_position:<node id>:<absolute path>`, the node id being the home's (home/node-id.ts), so
 * nodes of a cluster tailing the same path on different hosts each keep their own position (with
 * one key per path, a node would resume from another host's file: a different inode, so offset 0,
 * a replay of its whole file).
 *
 * Upgrades: a position saved by an older Riposte, under the path-only key
 * `alerts_position:<absolute path>` (or in the file `<home>/var/alerts.pos` before that), is
 * adopted once and removed, atomically (takeSetting), so only one node can ever adopt it. On a
 * SQLite store (one node, the one that wrote it) it is always adopted; on a shared store only by a
 * node whose file at that path is the file it describes (same device and inode).
 */
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ManagerStore } from '../core/orders/manager-store.js';
import { decodeTailPosition, type TailPosition } from '../ingest/tail-position.js';

/** The store key of this node's position in `file`. */
export function tailPositionKey(nodeId: string, file: string): string {
  return `${POSITION_PREFIX}${nodeId}:${resolve(file)}`;
}

/** The key older versions used: the path only. */
export function legacyTailPositionKey(file: string): string {
  return `${POSITION_PREFIX}${resolve(file)}`;
}

/** The prefix of every position key (path-only or per node). */
const POSITION_PREFIX = 'alerts_position:';

/**
 * The per-node key a setting `key` becomes when node `nodeId` takes over the store it is in
 * (`riposte manager migrate-store`: the migrated home's node id): a path-only key (an older
 * version's, `alerts_position:/abs/path`) becomes `nodeId`'s key of that path; every other key is
 * kept as it is (a per-node key already names its node).
 */
export function positionKeyForNode(key: string, nodeId: string): string {
  return key.startsWith(`${POSITION_PREFIX}/`)
    ? tailPositionKey(nodeId, key.slice(POSITION_PREFIX.length))
    : key;
}

export interface PositionSource {
  readonly store: ManagerStore;
  readonly home: string;
  /** Several nodes share the store (PostgreSQL). */
  readonly shared: boolean;
}

function describesFileAt(pos: TailPosition, file: string): boolean {
  try {
    const st = statSync(file);
    return st.dev === pos.dev && st.ino === pos.ino;
  } catch {
    return false;
  }
}

/** Takes the path-only position when this node may adopt it (module header), under `key`. */
async function adoptLegacyKey(
  src: PositionSource,
  key: string,
  file: string,
): Promise<TailPosition | undefined> {
  const legacy = legacyTailPositionKey(file);
  const seen = decodeTailPosition(await src.store.getSetting(legacy));
  if (seen === undefined || (src.shared && !describesFileAt(seen, file))) {
    return undefined;
  }
  return src.store.batch(async (tx) => {
    const taken = await tx.takeSetting(legacy);
    if (taken === undefined) {
      return undefined; // another node took it first
    }
    await tx.setSetting(key, taken);
    return decodeTailPosition(taken);
  });
}

/** The position a previous run saved (this node's key, else one an older version left: see header). */
export async function loadTailPosition(
  src: PositionSource,
  key: string,
  file: string,
): Promise<TailPosition | undefined> {
  const saved = decodeTailPosition(await src.store.getSetting(key));
  if (saved !== undefined) {
    return saved;
  }
  const adopted = await adoptLegacyKey(src, key, file);
  const legacyFile = join(src.home, 'var', 'alerts.pos');
  if (adopted !== undefined || !existsSync(legacyFile)) {
    return adopted;
  }
  const old = decodeTailPosition(readFileSync(legacyFile, 'utf8'));
  rmSync(legacyFile, { force: true });
  return old;
}
