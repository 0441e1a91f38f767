/**
 * `riposte manager -c ossec.conf --home DIR`: the central daemon. Matches alerts (tailed from
 * `--alerts FILE` and/or `POST /alerts`), queues durable orders per target agent, serves the REST
 * API, `/enroll` and the agents' TLS WebSocket link on `--listen` (default 127.0.0.1:1515), and
 * runs its own agent 000 for `location=server`.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { parseTimeoutSeconds } from '../../config/parse-duration.js';
import type { LogLevel } from '../../log/daemon-log.js';
import { parseHostPort } from '../../link/agent-link-config.js';
import { checkEnrollLimits, DEFAULT_ENROLL_LIMITS, type EnrollLimits } from '../../manager/enroll-limiter.js';
import {
  checkConnectionLimits,
  DEFAULT_CONNECTION_LIMITS,
  type ConnectionLimits,
} from '../../core/net/connection-quota.js';
import { createManagerApi, adminTokenPath } from '../../manager-api/create-manager-api.js';
import { startManagerRuntime } from '../../runtime/manager-runtime.js';
import { ErrorCode, RiposteError } from '../../protocol/error-codes.js';
import { AGENT_DEAD_AFTER_MS } from '../../protocol/link.js';
import { runLockedDaemon } from '../daemon/run-daemon.js';
import { storeChoice, warnNatsInClear, warnPasswordInArgv } from './manager-store-flags.js';

interface ManagerFlags {
  readonly config?: string;
  readonly home?: string;
  readonly listen: string;
  readonly alerts?: string;
  readonly alertsFrom: string;
  readonly orderTtl: string;
  readonly history: string;
  readonly auditHistory: string;
  readonly logLevel: string;
  readonly localAgent: boolean;
  readonly heartbeat: string;
  readonly enrollMaxFailures: string;
  readonly enrollWindow: string;
  readonly enrollMaxAddresses: string;
  readonly unauthenticatedMaxPerSource: string;
  readonly unauthenticatedMax: string;
  readonly store?: string;
  readonly bus?: string;
}

const LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

function seconds(flag: string, text: string): number {
  const s = parseTimeoutSeconds(text);
  if (s === undefined || s <= 0) {
    throw new RiposteError(
      ErrorCode.REQUEST_INVALID,
      `--${flag}: "${text}" is not a positive duration (600, 10s, 5m, 1h, 1d)`,
    );
  }
  return s;
}

/** Longest --heartbeat, s: an agent's dead-link limit (30 s) covers three pings of it. */
export const MAX_HEARTBEAT_S = AGENT_DEAD_AFTER_MS / 3 / 1000;

/**
 * The link ping period, ms. Agents drop a link on which nothing arrived for AGENT_DEAD_AFTER_MS:
 * a longer period would have every idle agent drop and redial its link before each ping.
 */
export function heartbeatMs(text: string): number {
  const s = seconds('heartbeat', text);
  if (s > MAX_HEARTBEAT_S) {
    throw new RiposteError(
      ErrorCode.CONFIG_INVALID,
      `--heartbeat: "${text}" is more than ${MAX_HEARTBEAT_S}s (agents drop a link that sees no ping ` +
        `for ${AGENT_DEAD_AFTER_MS / 1000} s: it must hold three pings)`,
    );
  }
  return s * 1000;
}

const HEARTBEAT_HELP =
  `link ping period, at most ${MAX_HEARTBEAT_S}s (an agent silent for 3 periods is dropped;` +
  ` agents drop a link with no ping for ${AGENT_DEAD_AFTER_MS / 1000} s)`;

function logLevel(text: string): LogLevel {
  const level = LEVELS.find((l) => l === text);
  if (level === undefined) {
    throw new RiposteError(
      ErrorCode.REQUEST_INVALID,
      `--log-level: "${text}" is not one of ${LEVELS.join(', ')}`,
    );
  }
  return level;
}

function startAt(text: string): 'beginning' | 'end' {
  if (text !== 'beginning' && text !== 'end') {
    throw new RiposteError(ErrorCode.REQUEST_INVALID, `--alerts-from: "${text}" is not "beginning" or "end"`);
  }
  return text;
}

function count(flag: string, text: string): number {
  if (!/^[0-9]{1,9}$/.test(text)) {
    throw new RiposteError(ErrorCode.REQUEST_INVALID, `--${flag}: "${text}" is not a whole number`);
  }
  return Number(text);
}

/** The failed-enrollment limits the flags give, range-checked (enroll-limiter.ts). */
function enrollLimits(flags: ManagerFlags): EnrollLimits {
  return checkEnrollLimits({
    maxFailures: count('enroll-max-failures', flags.enrollMaxFailures),
    windowMs: seconds('enroll-window', flags.enrollWindow) * 1000,
    maxAddresses: count('enroll-max-addresses', flags.enrollMaxAddresses),
  });
}

/** The limits on connections without an agent certificate, range-checked (connection-quota.ts). */
function connectionLimits(flags: ManagerFlags): ConnectionLimits {
  return checkConnectionLimits({
    perSource: count('unauthenticated-max-per-source', flags.unauthenticatedMaxPerSource),
    overall: count('unauthenticated-max', flags.unauthenticatedMax),
  });
}

/** Where the manager writes its CA's SHA-256 fingerprint, one line, at each start. */
function caFingerprintPath(home: string): string {
  return join(home, 'etc', 'pki', 'ca.fingerprint');
}

/** -c and --home are checked here, not by commander: it would demand them of `manager migrate-store` too. */
function required(cmd: Command, value: string | undefined, flag: string): string {
  if (value === undefined) {
    cmd.error(`error: required option '${flag}' not specified`, {
      code: 'commander.missingMandatoryOptionValue',
    });
  }
  return value;
}

async function run(flags: ManagerFlags, cmd: Command): Promise<void> {
  const heartbeat = heartbeatMs(flags.heartbeat);
  const options = {
    configPath: required(cmd, flags.config, '-c, --config <file>'),
    home: required(cmd, flags.home, '--home <dir>'),
    listen: parseHostPort(flags.listen, 1515),
    ttlMs: seconds('order-ttl', flags.orderTtl) * 1000,
    historyMs: seconds('history', flags.history) * 1000,
    auditHistoryMs: seconds('audit-history', flags.auditHistory) * 1000,
    logLevel: logLevel(flags.logLevel),
    localAgent: flags.localAgent,
    heartbeatMs: heartbeat,
    deadAfterMs: heartbeat * 3,
    enrollLimits: enrollLimits(flags),
    connectionLimits: connectionLimits(flags),
    createApi: createManagerApi,
    alertsStartAt: startAt(flags.alertsFrom),
    ...(flags.alerts !== undefined ? { alertsFile: flags.alerts } : {}),
    ...storeChoice(flags.store, flags.bus, flags.localAgent, process.env),
  };
  const print = (line: string): void => {
    process.stdout.write(`${line}\n`);
  };
  if (options.cluster !== undefined) {
    warnPasswordInArgv('--store', options.cluster.storeUrl);
    warnNatsInClear(options.cluster);
  }
  await runLockedDaemon(
    options.home,
    'manager',
    async () => {
      const m = await startManagerRuntime(options);
      // For a command to capture (`--ca-fingerprint "$(cat .../ca.fingerprint)"`); written before
      // the start lines, so a reader who sees them finds the file.
      writeFileSync(caFingerprintPath(m.home), `${m.pki.caFingerprint}\n`, { mode: 0o644 });
      // One write: a reader that sees the first line sees the fingerprint too.
      print(
        [
          `riposte manager: listening on https://${options.listen.host}:${m.address.port}`,
          `CA fingerprint (SHA-256): ${m.pki.caFingerprint}`,
          `CA fingerprint file: ${caFingerprintPath(m.home)}`,
          `enrollment password file: ${m.passwordFile}`,
          // In a cluster only the first node writes the first admin token; tokens are shared.
          existsSync(adminTokenPath(m.home))
            ? `admin API token file: ${adminTokenPath(m.home)}`
            : 'admin API token file: none in this home (API tokens are shared by the cluster:' +
              " use the first node's var/admin.token)",
          `web console: https://${options.listen.host}:${m.address.port}/console/`,
        ].join('\n'),
      );
      return m;
    },
    print,
  );
}

export function register(program: Command): void {
  program
    .command('manager')
    .description('run the central manager: match alerts, dispatch to enrolled agents, serve the API')
    .option('-c, --config <file>', 'manager ossec.conf (required)')
    .option('--home <dir>', 'manager home (etc/, etc/pki/, var/manager.db, logs/) (required)')
    .option('--listen <host:port>', 'HTTPS address for the API, /enroll and the agent link', '127.0.0.1:1515')
    .option('--alerts <file>', 'tail this alerts.json')
    .option('--alerts-from <where>', 'where to start a new alerts file: end or beginning', 'end')
    .option('--order-ttl <duration>', 'how long an order waits for a disconnected agent', '24h')
    .option(
      '--history <duration>',
      'how long settled orders and execution reports are kept in the store (older ones are deleted every 10 min)',
      '30d',
    )
    .option(
      '--audit-history <duration>',
      'how long API audit entries are kept in the store (older ones are deleted, at most every 10 min)',
      '365d',
    )
    .option('--heartbeat <duration>', HEARTBEAT_HELP, '10s')
    .option(
      '--enroll-max-failures <n>',
      'failed enrollments allowed per source address within --enroll-window (then 429)',
      String(DEFAULT_ENROLL_LIMITS.maxFailures),
    )
    .option(
      '--enroll-window <duration>',
      'window of --enroll-max-failures (1s to 1d)',
      `${DEFAULT_ENROLL_LIMITS.windowMs / 1000}s`,
    )
    .option(
      '--enroll-max-addresses <n>',
      'source addresses whose failures are tracked at once (least recent forgotten first)',
      String(DEFAULT_ENROLL_LIMITS.maxAddresses),
    )
    .option(
      '--unauthenticated-max-per-source <n>',
      'connections without an agent certificate (in their TLS handshake, API and enrollment clients) held per source address (IPv6: per /64)',
      String(DEFAULT_CONNECTION_LIMITS.perSource),
    )
    .option(
      '--unauthenticated-max <n>',
      'connections without an agent certificate held in all (one more is closed at accept)',
      String(DEFAULT_CONNECTION_LIMITS.overall),
    )
    .option(
      '--store <url>',
      'manager store: postgres://... (shared by several nodes) or a SQLite path (default <home>/var/manager.db)',
    )
    .option(
      '--bus <url>',
      'order bus between nodes on a PostgreSQL store: the store URL (LISTEN/NOTIFY, default), nats://host:port or tls://host:port (NATS over TLS)',
    )
    .option('--no-local-agent', 'do not run the in-process agent 000 (location=server)')
    .option('--log-level <level>', 'debug, info, warn or error', 'info')
    .action(run);
}
