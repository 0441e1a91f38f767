/**
 * The list of CLI verbs, loaded lazily: `riposte X` imports only the files of X, so a short command
 * does not pay for the daemons, TLS or the database (issue #9: each call < 250 ms). Each entry names
 * a top-level command, its one-line summary (shown by `riposte --help` without loading the command;
 * test/unit/cli-command-index.test.ts keeps it equal to the command's own description) and how to
 * load the files that register it. Add one entry per top-level command.
 */
import type { Command } from 'commander';

export type RegisterCommand = (program: Command) => void;

export interface CommandEntry {
  readonly name: string;
  readonly summary: string;
  /** Imports the command's files; the returned functions register it (in order) on the program. */
  readonly load: () => Promise<readonly RegisterCommand[]>;
}

export const commandIndex: readonly CommandEntry[] = [
  {
    name: 'check',
    summary: 'validate an ossec.conf (commands, active responses, white list)',
    load: async () => [(await import('./check.js')).register],
  },
  {
    name: 'explain',
    summary: 'show which active responses each alert triggers, where, why not, and the AR message',
    load: async () => [(await import('./explain.js')).register],
  },
  {
    name: 'start',
    summary: 'run manager and local agent in one process (single host)',
    load: async () => [(await import('./start.js')).register],
  },
  {
    name: 'agent',
    summary: 'run the active-response agent daemon (execd)',
    // `enroll` is added under the `agent` command registered first.
    load: async (): Promise<readonly RegisterCommand[]> => {
      const [agent, enroll] = await Promise.all([import('./agent.js'), import('./agent-enroll.js')]);
      return [agent.register, enroll.register];
    },
  },
  {
    name: 'ar',
    summary: 'list, revert, run and audit active responses',
    load: async () => [(await import('./ar.js')).register],
  },
  {
    name: 'manager',
    summary: 'run the central manager: match alerts, dispatch to enrolled agents, serve the API',
    // `migrate-store` is added under the `manager` command registered first.
    load: async (): Promise<readonly RegisterCommand[]> => {
      const [manager, migrate] = await Promise.all([
        import('./manager.js'),
        import('./manager-migrate-store.js'),
      ]);
      return [manager.register, migrate.register];
    },
  },
  {
    name: 'firewall',
    summary: "remove Riposte's firewall objects (uninstall)",
    load: async () => [(await import('./firewall.js')).register],
  },
  {
    name: 'status',
    summary: 'what a running daemon is doing: agents, active responses, last errors',
    load: async () => [(await import('./status.js')).register],
  },
  {
    name: 'agents',
    summary: 'manage the agents enrolled with a manager',
    load: async () => [(await import('./agents.js')).register],
  },
];
