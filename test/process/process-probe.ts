/**
 * Test helpers that look at the OS process table (Linux /proc) to prove children are gone.
 * A zombie (state Z/X: exited, not yet reaped by its new parent) counts as gone: it runs nothing
 * and holds no pipe. Containers whose PID 1 does not reap orphans leave such zombies behind.
 */
import fs from 'node:fs';
import path from 'node:path';

/** True while `pid` exists and is not a zombie. */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** Pids of live processes whose working directory is `dir` or below it. */
export function processesUnder(dir: string): number[] {
  const found: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) {
      continue;
    }
    let cwd: string;
    try {
      cwd = fs.readlinkSync(`/proc/${pid}/cwd`);
    } catch {
      continue;
    }
    if ((cwd === dir || cwd.startsWith(dir + path.sep)) && isRunning(pid)) {
      found.push(pid);
    }
  }
  return found;
}

/** Polls `predicate` every 25 ms until it holds or `timeoutMs` passes; returns its last value. */
export async function waitFor(predicate: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() >= deadline) {
      return false;
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return true;
}

/**
 * SIGKILLs the process group of `pid` if it still runs: cleans up the background children a test
 * script left behind on purpose (a script that exits by itself keeps them, as with Wazuh's execd).
 */
export function killGroupOf(pid: number): void {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const pgid = Number(fields[2]);
    process.kill(Number.isInteger(pgid) && pgid > 1 ? -pgid : pid, 'SIGKILL');
  } catch {
    // Gone already.
  }
}
