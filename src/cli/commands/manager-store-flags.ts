/**
 * `riposte manager --store URL --bus URL` (docs/scale-out.md "Store"): which manager store the
 * daemon opens and, on PostgreSQL, how it hands orders to the other nodes. Validated before the
 * daemon starts; errors name the flag and never echo a password.
 *
 * - no --store: the embedded SQLite store `<home>/var/manager.db` (no bus: one node);
 * - --store PATH | sqlite:PATH | file:URL: that SQLite file (no bus: SQLite is not shared);
 * - --store postgres://...: one node of a cluster on that database; the bus is LISTEN/NOTIFY on
 *   the same server unless --bus nats://HOST:PORT[,...] (tls://...: TLS required) names a NATS
 *   JetStream, whose credentials and TLS files come from the environment (`env`:
 *   cluster/nats-auth.ts, cluster/nats-tls.ts), never from the URL. It must come with
 *   --no-local-agent: agent 000 is per host, and in a shared store the orders of `location=server`
 *   would run on whichever node happened to store them. Refused rather than silently switched off,
 *   so nobody believes a node responds on its own host when it does not.
 */
import { managerStoreTarget } from '../../store/create-manager-store.js';
import { LOCAL_AGENT_REFUSED, type ClusterOptions } from '../../runtime/cluster-node.js';
import { ErrorCode, RiposteError } from '../../protocol/error-codes.js';
import { passwordInArgvWarning, redactUrl } from '../../store/store-url.js';
import { natsAuthFromEnv } from '../../cluster/nats-auth.js';
import { natsInClearWarning, natsTlsFromEnv } from '../../cluster/nats-tls.js';

export type StoreChoice = { readonly storeUrl?: string; readonly cluster?: ClusterOptions };

function invalid(flag: string, url: string, why: string): RiposteError {
  return new RiposteError(ErrorCode.CONFIG_INVALID, `--${flag}: "${redactUrl(url)}" ${why}`);
}

function checkUrl(flag: string, url: string, schemes: readonly string[]): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalid(flag, url, 'is not a valid URL');
  }
  if (!schemes.includes(parsed.protocol)) {
    throw invalid(flag, url, `must start with ${schemes.map((s) => `${s}//`).join(' or ')}`);
  }
  if (parsed.hostname === '' && !parsed.searchParams.has('host')) {
    throw invalid(flag, url, 'names no host');
  }
}

function busOf(bus: string | undefined, storeUrl: string): string {
  if (bus === undefined || bus === 'postgres' || bus === storeUrl) {
    return 'postgres';
  }
  if (/^postgres(ql)?:\/\//i.test(bus)) {
    throw invalid('bus', bus, "must be the --store URL: LISTEN/NOTIFY runs on the store's server");
  }
  const schemes = new Set<string>();
  for (const server of bus.split(',')) {
    checkUrl('bus', server, ['nats:', 'tls:']);
    const parsed = new URL(server); // checkUrl parsed it already: cannot throw
    schemes.add(parsed.protocol);
    if (parsed.username !== '' || parsed.password !== '') {
      throw invalid(
        'bus',
        server,
        'holds credentials, which NATS connections do not take from a URL (and every user of this host can ' +
          'read a command line): set RIPOSTE_NATS_USER and RIPOSTE_NATS_PASSWORD, RIPOSTE_NATS_TOKEN or RIPOSTE_NATS_CREDS',
      );
    }
  }
  if (schemes.size > 1) {
    throw invalid('bus', bus, 'mixes nats:// and tls:// servers: one connection is either encrypted or not');
  }
  return bus;
}

/**
 * What startManagerRuntime gets from --store and --bus.
 * @throws RiposteError CONFIG_INVALID naming the flag (password redacted)
 */
export function storeChoice(
  store: string | undefined,
  bus: string | undefined,
  localAgent = false,
  env: NodeJS.ProcessEnv = {},
): StoreChoice {
  if (store === undefined) {
    if (bus !== undefined) {
      throw invalid('bus', bus, 'needs a PostgreSQL --store (postgres://...): SQLite is one node');
    }
    return {};
  }
  let target;
  try {
    target = managerStoreTarget(store);
  } catch {
    throw invalid('store', store, 'is not postgres://..., sqlite:<path> or a file path');
  }
  if (target.kind === 'sqlite') {
    if (bus !== undefined) {
      throw invalid('bus', bus, 'needs a PostgreSQL --store (postgres://...): SQLite is one node');
    }
    return { storeUrl: store };
  }
  checkUrl('store', store, ['postgres:', 'postgresql:']);
  if (localAgent) {
    throw invalid('store', store, LOCAL_AGENT_REFUSED);
  }
  const busUrl = busOf(bus, store);
  if (busUrl === 'postgres') {
    return { cluster: { storeUrl: store, bus: busUrl } };
  }
  const natsAuth = natsAuthFromEnv(env);
  const natsTls = natsTlsFromEnv(env, /^tls:\/\//i.test(busUrl));
  return {
    cluster: {
      storeUrl: store,
      bus: busUrl,
      ...(natsAuth.kind === 'none' ? {} : { natsAuth }),
      ...(natsTls.kind === 'none' ? {} : { natsTls }),
    },
  };
}

/**
 * Warns on stderr, before a command opens it, when the store URL given to `flag` carries its
 * password (store-url.ts: every user of the host can read a command line).
 */
export function warnPasswordInArgv(flag: string, url: string): void {
  const warning = passwordInArgvWarning(flag, url);
  if (warning !== undefined) {
    process.stderr.write(`warning: ${warning}\n`);
  }
}

/**
 * Warns on stderr when a NATS bus off this host is not required to be encrypted
 * (cluster/nats-tls.ts natsInClearWarning).
 */
export function warnNatsInClear(cluster: ClusterOptions): void {
  const bus = cluster.bus ?? 'postgres';
  const warning = /^nats:\/\//i.test(bus)
    ? natsInClearWarning(bus, cluster.natsTls ?? { kind: 'none' })
    : undefined;
  if (warning !== undefined) {
    process.stderr.write(`warning: ${warning}\n`);
  }
}
