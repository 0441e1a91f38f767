/**
 * Chooses firewall-drop's backend: `--backend nftables|iptables|ipset` (or `--backend=X`) in the
 * command's extra_args wins; otherwise nftables when `nft list tables` works, else ipset when
 * `ipset list -n` works, else iptables. Detection runs once per process.
 */
import { runTool } from '../contract/tools.js';
import { ScriptFailure } from '../contract/stock-script.js';
import { BACKEND_NAMES, type BackendName, type FirewallBackend } from './backend.js';
import { iptablesBackend } from './iptables.js';
import { ipsetBackend } from './ipset.js';
import { nftablesBackend } from './nftables.js';

const BACKENDS: Readonly<Record<BackendName, FirewallBackend>> = {
  nftables: nftablesBackend,
  iptables: iptablesBackend,
  ipset: ipsetBackend,
};

function isBackendName(v: string): v is BackendName {
  return (BACKEND_NAMES as readonly string[]).includes(v);
}

/**
 * The backend requested in extra_args; undefined when none is requested. Other arguments are ignored.
 * @throws ScriptFailure for an unknown or missing backend value.
 */
export function backendFromArgs(extraArgs: readonly string[]): BackendName | undefined {
  let requested: string | undefined;
  extraArgs.forEach((arg, i) => {
    if (arg === '--backend') {
      requested = extraArgs[i + 1] ?? '';
    } else if (arg.startsWith('--backend=')) {
      requested = arg.slice('--backend='.length);
    }
  });
  if (requested === undefined) {
    return undefined;
  }
  if (!isBackendName(requested)) {
    throw new ScriptFailure(`Invalid firewall backend '${requested}' (expected ${BACKEND_NAMES.join('|')})`);
  }
  return requested;
}

async function works(tool: string, args: readonly string[]): Promise<boolean> {
  try {
    return (await runTool({ tool, args, timeoutMs: 10_000 })).exitCode === 0;
  } catch {
    return false;
  }
}

let detected: Promise<BackendName> | undefined;

/** The automatic choice, probed once per process. */
export function detectBackend(): Promise<BackendName> {
  detected ??= (async (): Promise<BackendName> => {
    if (await works('nft', ['list', 'tables'])) {
      return 'nftables';
    }
    return (await works('ipset', ['list', '-n'])) ? 'ipset' : 'iptables';
  })();
  return detected;
}

/** The backend for one run. @throws ScriptFailure for an invalid `--backend`. */
export async function selectBackend(extraArgs: readonly string[]): Promise<FirewallBackend> {
  return BACKENDS[backendFromArgs(extraArgs) ?? (await detectBackend())];
}
