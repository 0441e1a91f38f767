/**
 * A manager node's id: generated once (a random UUID) and kept in `<home>/var/node-id`, so it is
 * stable across restarts and upgrades of that home and distinct for every home, even for several
 * nodes on one host. It keys what is per node in a shared store (the alerts.json position:
 * runtime/alerts-position.ts). A lost file gives the home a new id (docs/scale-out.md).
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ErrorCode, RiposteError } from '../protocol/error-codes.js';

const NODE_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** `<home>/var/node-id`. */
export const nodeIdPath = (home: string): string => join(home, 'var', 'node-id');

function readNodeId(file: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err: unknown) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      return undefined;
    }
    throw err;
  }
  const id = text.trim();
  if (!NODE_ID.test(id)) {
    throw new RiposteError(
      ErrorCode.CONFIG_INVALID,
      `${file}:1: "${id.slice(0, 40)}" is not a node id (a UUID); remove the file to get a new one`,
    );
  }
  return id;
}

/**
 * The home's node id, created on first use. Two processes creating it at once agree (exclusive
 * create; the loser reads the winner's).
 * @throws RiposteError CONFIG_INVALID when the file holds something else than a node id
 */
export function nodeIdOf(home: string): string {
  const file = nodeIdPath(home);
  const existing = readNodeId(file);
  if (existing !== undefined) {
    return existing;
  }
  mkdirSync(dirname(file), { recursive: true, mode: 0o750 });
  try {
    writeFileSync(file, `${randomUUID()}\n`, { mode: 0o640, flag: 'wx' });
  } catch (err: unknown) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw err;
    }
  }
  const id = readNodeId(file);
  if (id === undefined) {
    throw new RiposteError(ErrorCode.INTERNAL, `${file} vanished while being created`);
  }
  return id;
}
