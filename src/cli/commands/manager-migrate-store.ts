/**
 * `riposte manager migrate-store --home DIR --to postgres://...` (docs/scale-out.md "Store"):
 * copies a stopped manager's SQLite store (`<home>/var/manager.db`, or --from FILE) into an empty
 * PostgreSQL store, with the manager's CA and enrollment password (so every node started on that
 * database keeps the agents' trust and the password), its alerts.json positions under the home's
 * node id (runtime/alerts-position.ts). Refuses a non-empty target.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { CA_CERT_SETTING, CA_KEY_SETTING, ENROLL_PASSWORD_SETTING } from '../../cluster/shared-pki.js';
import { ErrorCode, RiposteError } from '../../protocol/error-codes.js';
import { migrateManagerStore } from '../../store/migrate-manager-store.js';
import { apiDbPath } from '../../manager-api/create-manager-api.js';
import { storeChoice, warnPasswordInArgv } from './manager-store-flags.js';
import { redactUrl } from '../../store/store-url.js';
import { nodeIdOf } from '../../home/node-id.js';
import { positionKeyForNode } from '../../runtime/alerts-position.js';

interface MigrateFlags {
  readonly home?: string;
  readonly to: string;
  readonly from?: string;
}

/** The CA and password files of `home`, as the shared settings (shared-pki.ts) hold them. */
function homeSettings(home: string): Record<string, string> {
  const files: [string, string, boolean][] = [
    [CA_CERT_SETTING, join(home, 'etc', 'pki', 'ca.pem'), false],
    [CA_KEY_SETTING, join(home, 'etc', 'pki', 'ca.key'), false],
    [ENROLL_PASSWORD_SETTING, join(home, 'etc', 'authd.pass'), true],
  ];
  const out: Record<string, string> = {};
  for (const [key, file, trim] of files) {
    if (existsSync(file)) {
      const text = readFileSync(file, 'utf8');
      out[key] = trim ? text.trim() : text;
    }
  }
  // Half a CA is useless: the first node would publish a new one anyway.
  if (out[CA_CERT_SETTING] === undefined || out[CA_KEY_SETTING] === undefined) {
    const password = out[ENROLL_PASSWORD_SETTING];
    return password !== undefined ? { [ENROLL_PASSWORD_SETTING]: password } : {};
  }
  return out;
}

async function run(flags: MigrateFlags, cmd: Command): Promise<void> {
  // `riposte manager` has its own --home, which commander gives the parent command.
  const homeFlag = flags.home ?? cmd.parent?.opts<{ home?: string }>().home;
  if (homeFlag === undefined) {
    throw new RiposteError(ErrorCode.CONFIG_INVALID, '--home: required (the manager home to migrate)');
  }
  if (storeChoice(flags.to, undefined).cluster === undefined) {
    throw new RiposteError(
      ErrorCode.CONFIG_INVALID,
      `--to: "${redactUrl(flags.to)}" is not a postgres:// URL`,
    );
  }
  warnPasswordInArgv('--to', flags.to);
  const home = resolve(homeFlag);
  const from = flags.from ?? join(home, 'var', 'manager.db');
  if (!existsSync(from)) {
    throw new RiposteError(
      ErrorCode.CONFIG_INVALID,
      `--from: ${from} does not exist (no SQLite manager store)`,
    );
  }
  const apiDb = apiDbPath(home);
  // The positions an older version kept per path become this home's (its node id, created now if
  // the home has none yet: the node started from this home uses the same).
  const nodeId = nodeIdOf(home);
  const counts = await migrateManagerStore(from, flags.to, {
    extraSettings: homeSettings(home),
    ...(existsSync(apiDb) ? { apiFile: apiDb } : {}),
    renameSetting: (key) => positionKeyForNode(key, nodeId),
  });
  const summary = Object.entries(counts)
    .map(([table, n]) => `${table} ${n}`)
    .join(', ');
  process.stdout.write(`riposte manager migrate-store: copied ${summary} to ${redactUrl(flags.to)}\n`);
}

export function register(program: Command): void {
  const manager = program.commands.find((c) => c.name() === 'manager') ?? program.command('manager');
  manager
    .command('migrate-store')
    .description(
      "copy a stopped manager's SQLite store (and its CA, password) into an empty PostgreSQL store",
    )
    .option('--home <dir>', 'manager home (var/manager.db, etc/pki/ca.*, etc/authd.pass)')
    .requiredOption('--to <url>', 'postgres://... of the empty target store')
    .option('--from <file>', 'the SQLite store (default <home>/var/manager.db)')
    .action(run);
}
