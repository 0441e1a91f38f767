/**
 * Options shared by the daemons (`riposte agent`, `riposte start`), parsed from the command line
 * into the runtime's typed options (durations in ms, validated once).
 */
import type { Command } from 'commander';
import { parseTimeoutSeconds } from '../../config/parse-duration.js';
import { DEFAULT_BOOT_ID_FILE } from '../../agent/boot-id.js';
import type { LogLevel } from '../../log/daemon-log.js';
import { DEFAULT_SCRIPT_LIMITS, type ScriptLimits } from '../../agent/executor/spawn-script.js';
import { ErrorCode, RiposteError } from '../../protocol/error-codes.js';
import { isLoopbackHost } from '../../net/loopback.js';

export interface DaemonFlags {
  readonly home: string;
  readonly logLevel: string;
  readonly revertOnStop?: boolean;
  readonly bootIdFile: string;
  readonly execTimeout: string;
  readonly handshakeTimeout: string;
  readonly pool: string;
  readonly listen?: string;
  readonly dryRun?: boolean;
}

export interface DaemonOptions {
  readonly home: string;
  readonly logLevel: LogLevel;
  readonly revertOnStop: boolean;
  readonly bootIdFile: string;
  readonly limits: ScriptLimits;
  readonly poolSize: number;
  readonly listen: { readonly host: string; readonly port: number } | undefined;
  /** Nothing touches the host: executions record the commands they would run. */
  readonly dryRun: boolean;
}

/** Adds the shared daemon flags to `cmd`. */
export function addDaemonFlags(cmd: Command): Command {
  return cmd
    .requiredOption('--home <dir>', 'install dir (etc/, active-response/bin/, logs/, var/)')
    .option('--log-level <level>', 'debug, info, warn or error', 'info')
    .option('--revert-on-stop', "revert every active response on a clean stop (Wazuh's behaviour)")
    .option(
      '--boot-id-file <file>',
      'where the kernel boot id is read (reboot detection)',
      process.env['RIPOSTE_BOOT_ID_FILE'] ?? DEFAULT_BOOT_ID_FILE,
    )
    .option('--exec-timeout <duration>', 'time limit of one script execution (600, 10s, 5m, 1h)', '60s')
    .option('--handshake-timeout <duration>', "time limit for a script's check_keys line", '10s')
    .option('--pool <n>', 'executions running at once', '16')
    .option('--listen <host:port>', 'also serve the local API on this loopback TCP address')
    .option(
      '--dry-run',
      'decide, record and log everything, run nothing on the host (executions show the commands)',
    );
}

function invalid(message: string): RiposteError {
  return new RiposteError(ErrorCode.REQUEST_INVALID, message);
}

function durationMs(flag: string, text: string): number {
  const s = parseTimeoutSeconds(text);
  if (s === undefined || s <= 0) {
    throw invalid(`--${flag}: "${text}" is not a positive duration (600, 10s, 5m, 1h)`);
  }
  return s * 1000;
}

function parseListen(text: string | undefined): DaemonOptions['listen'] {
  if (text === undefined) {
    return undefined;
  }
  const i = text.lastIndexOf(':');
  const host = text.slice(0, i).replace(/^\[|\]$/g, '');
  const port = Number(text.slice(i + 1));
  if (i < 0 || !isLoopbackHost(host) || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw invalid(`--listen: "${text}" must be a loopback HOST:PORT (the local API is not for the network)`);
  }
  return { host, port };
}

function parseLevel(text: string): LogLevel {
  if (text === 'debug' || text === 'info' || text === 'warn' || text === 'error') {
    return text;
  }
  throw invalid(`--log-level: "${text}" is not one of debug, info, warn, error`);
}

export function parseDaemonFlags(flags: DaemonFlags): DaemonOptions {
  const pool = Number(flags.pool);
  if (!Number.isInteger(pool) || pool < 1 || pool > 1024) {
    throw invalid(`--pool: "${flags.pool}" must be an integer from 1 to 1024`);
  }
  return {
    home: flags.home,
    logLevel: parseLevel(flags.logLevel),
    revertOnStop: flags.revertOnStop === true,
    bootIdFile: flags.bootIdFile,
    limits: {
      ...DEFAULT_SCRIPT_LIMITS,
      execMs: durationMs('exec-timeout', flags.execTimeout),
      handshakeMs: durationMs('handshake-timeout', flags.handshakeTimeout),
    },
    poolSize: pool,
    listen: parseListen(flags.listen),
    dryRun: flags.dryRun === true,
  };
}
