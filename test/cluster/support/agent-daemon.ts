/**
 * The real `riposte agent --home HOME` daemon as a child process, for the cluster tests that run
 * the CLI as a user does (three-nodes-cli.test.ts, half-open-link.test.ts).
 */
import { spawn } from 'node:child_process';
import { MAIN, installMark, waitFor, type Proc } from '../../manager/support/fleet.js';

/** Starts the daemon (with the `mark` fixture installed); resolves once it printed its "running" line. */
export async function startAgentDaemon(home: string): Promise<Proc> {
  installMark(home);
  const child = spawn(process.execPath, [MAIN, 'agent', '--home', home], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | string>((resolve) => {
    child.on('exit', (code, sig) => {
      resolve(code ?? sig ?? -1);
    });
  });
  const p: Proc = {
    child,
    output: () => out,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill(signal);
      }
      return exited;
    },
  };
  await waitFor(`agent daemon running in ${home}`, 30_000, () => {
    if (child.exitCode !== null) {
      throw new Error(`riposte agent exited ${child.exitCode}: ${out}`);
    }
    return / running in /.test(out) || undefined;
  });
  return p;
}
