/**
 * Opens the manager store a URL names: `postgres://` or `postgresql://` -> the PostgreSQL adapter
 * (pg-manager-store.ts, shared by several manager nodes), `sqlite:<path>`, `file:<path>`, a plain
 * path or ":memory:" -> the SQLite adapter (sqlite-manager-store.ts). Both serve the same
 * ManagerStore port and pass the same contract suites. Any other scheme is a config error.
 */
import { fileURLToPath } from 'node:url';
import type { ManagerStore } from '../core/orders/manager-store.js';
import { ErrorCode, RiposteError } from '../protocol/error-codes.js';
import { openPgManagerStore, type PgManagerOptions } from './pg-manager-store.js';
import { openSqliteManagerStore } from './sqlite-manager-store.js';

export type ManagerStoreTarget =
  { readonly kind: 'postgres'; readonly url: string } | { readonly kind: 'sqlite'; readonly file: string };

/** Which adapter `url` names, and where. @throws RiposteError CONFIG_INVALID for another scheme */
export function managerStoreTarget(url: string): ManagerStoreTarget {
  if (/^postgres(ql)?:\/\//i.test(url)) {
    return { kind: 'postgres', url };
  }
  if (url.startsWith('file:')) {
    return { kind: 'sqlite', file: fileURLToPath(url) };
  }
  if (url.startsWith('sqlite:')) {
    return { kind: 'sqlite', file: url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '') };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url) || url === '') {
    throw new RiposteError(
      ErrorCode.CONFIG_INVALID,
      `Unsupported manager store "${url.replace(/\/\/[^@/]*@/, '//***@')}": use postgres://..., sqlite:<path> or a file path`,
    );
  }
  return { kind: 'sqlite', file: url };
}

/**
 * Opens (creating and migrating when needed) the manager store `url` names.
 * `pg` options apply to PostgreSQL only.
 */
export async function createManagerStore(url: string, pg: PgManagerOptions = {}): Promise<ManagerStore> {
  const target = managerStoreTarget(url);
  return target.kind === 'postgres'
    ? openPgManagerStore(target.url, pg)
    : openSqliteManagerStore(target.file);
}
