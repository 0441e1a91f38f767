/**
 * Watches `nft monitor` inside a scratch namespace and notes when each address is added to
 * `inet riposte blocked4`: the kernel reports the event, nothing is polled, so a latency sample
 * is not rounded up to the next poll and no poll process competes with the daemon for the CPU.
 * A transaction that re-declares the set (the daemon's first one, or one setting the table up
 * again) is reported without its elements: use `seen` with a fallback poll for those.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import type { ScratchNetns } from './scratch-netns.js';

const ADD = /^add element inet riposte blocked4 \{ ([^}]*) \}/;

export class ElementMonitor {
  private readonly seenAt = new Map<string, number>();
  private readonly waiters = new Map<string, (at: number) => void>();
  private constructor(private readonly proc: ChildProcess) {}

  /** Starts `nft monitor` in `ns`; resolves once it is listening. */
  static async start(ns: ScratchNetns): Promise<ElementMonitor> {
    const [cmd, ...pre] = ns.prefix();
    const proc = spawn(cmd ?? 'ip', [...pre, 'nft', 'monitor'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const m = new ElementMonitor(proc);
    if (proc.stdout === null) {
      throw new Error('nft monitor: no stdout');
    }
    createInterface({ input: proc.stdout }).on('line', (line) => {
      m.onLine(line, performance.now());
    });
    await new Promise<void>((resolve, reject) => {
      proc.once('spawn', () => {
        resolve();
      });
      proc.once('error', reject);
    });
    // `ip netns exec` + nft's netlink subscription: give it a moment before the first event.
    await new Promise((r) => setTimeout(r, 200));
    return m;
  }

  private onLine(line: string, at: number): void {
    const m = ADD.exec(line);
    if (m === null) {
      return;
    }
    for (const ip of (m[1] ?? '').split(',').map((s) => s.trim())) {
      if (!this.seenAt.has(ip)) {
        this.seenAt.set(ip, at);
        this.waiters.get(ip)?.(at);
        this.waiters.delete(ip);
      }
    }
  }

  /** performance.now() when `ip` was reported added, or undefined before that. */
  seen(ip: string): number | undefined {
    return this.seenAt.get(ip);
  }

  /** Resolves with performance.now() of `ip`'s add event; undefined after `timeoutMs`. */
  waitFor(ip: string, timeoutMs: number): Promise<number | undefined> {
    const at = this.seenAt.get(ip);
    if (at !== undefined) {
      return Promise.resolve(at);
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters.delete(ip);
        resolve(undefined);
      }, timeoutMs);
      this.waiters.set(ip, (t) => {
        clearTimeout(timer);
        resolve(t);
      });
    });
  }

  stop(): void {
    this.proc.kill('SIGTERM');
  }
}
