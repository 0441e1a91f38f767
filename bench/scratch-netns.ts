/**
 * A scratch network namespace for the benchmarks: every daemon a benchmark starts runs inside it
 * (`ip netns exec`), so its nft table, sets and rules never touch the host's firewall. The blocked
 * addresses are from the benchmarking range 198.18.0.0/15 (RFC 2544), then 100.64.0.0/10, and
 * exist only as set elements inside the namespace. The namespace is deleted afterwards (and on exit).
 */
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';

const alive = new Set<string>();
process.on('exit', () => {
  for (const ns of alive) {
    spawnSync('ip', ['netns', 'del', ns]);
  }
});

function run(args: readonly string[], input?: string): string {
  const r = spawnSync(args[0] ?? '', args.slice(1), {
    input,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  if (r.status !== 0) {
    throw new Error(`${args.join(' ')}: exit ${String(r.status)}: ${r.stderr}`);
  }
  return r.stdout;
}

/** The i-th bench address: 198.18.0.0/15 first (131,072), then 100.64.0.0/10. */
export function benchAddress(i: number): string {
  const [base, n] = i < 131_072 ? [0xc6120000, i] : [0x64400000, i - 131_072];
  const v = (base + n) >>> 0;
  return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

export class ScratchNetns {
  private constructor(readonly name: string) {}

  static create(tag: string): ScratchNetns {
    const name = `riposte-bench-${tag}-${process.pid}`;
    run(['ip', 'netns', 'add', name]);
    alive.add(name);
    const ns = new ScratchNetns(name);
    ns.exec(['ip', 'link', 'set', 'lo', 'up']);
    return ns;
  }

  /** argv prefix that runs a command inside the namespace. */
  prefix(): string[] {
    return ['ip', 'netns', 'exec', this.name];
  }

  exec(args: readonly string[], input?: string): string {
    return run([...this.prefix(), ...args], input);
  }

  /** Elements in `inet riposte blocked4` now (0 when the table is not there yet). */
  blockedCount(): number {
    let text: string;
    try {
      text = this.exec(['nft', '-j', 'list', 'set', 'inet', 'riposte', 'blocked4']);
    } catch {
      return 0;
    }
    const parsed = JSON.parse(text) as { nftables: { set?: { elem?: unknown[] } }[] };
    return parsed.nftables.reduce((n, o) => n + (o.set?.elem?.length ?? 0), 0);
  }

  /** Removes the riposte table (between rounds). */
  flush(): void {
    try {
      this.exec(['nft', 'delete', 'table', 'inet', 'riposte']);
    } catch {
      // not there
    }
  }

  /**
   * The limit row: one `nft -f -` transaction adding `n` elements to the same table/set layout the
   * product uses, timed around the nft process. Returns ms.
   */
  plainNftTransaction(n: number, offset: number): number {
    const elems: string[] = [];
    for (let i = 0; i < n; i++) {
      elems.push(benchAddress(offset + i));
    }
    const lines = [
      'add table inet riposte',
      'add set inet riposte blocked4 { type ipv4_addr; }',
      ...chunk(elems, 1000).map((c) => `add element inet riposte blocked4 { ${c.join(', ')} }`),
    ];
    const t0 = performance.now();
    this.exec(['nft', '-f', '-'], `${lines.join('\n')}\n`);
    return performance.now() - t0;
  }

  /** Polls `nft get element` until `ip` is in the set; resolves with performance.now() then. */
  async waitForAddress(ip: string, timeoutMs: number): Promise<number> {
    const deadline = performance.now() + timeoutMs;
    const [cmd, ...pre] = this.prefix();
    const args = [...pre, 'nft', 'get', 'element', 'inet', 'riposte', 'blocked4', `{ ${ip} }`];
    for (;;) {
      const ok = spawnSync(cmd ?? 'ip', args, { stdio: 'ignore' }).status === 0;
      const at = performance.now();
      if (ok) {
        return at;
      }
      if (at > deadline) {
        throw new Error(`${ip} not in the set after ${timeoutMs} ms`);
      }
      await new Promise((r) => setTimeout(r, 1));
    }
  }

  destroy(): void {
    spawnSync('ip', ['netns', 'del', this.name]);
    alive.delete(this.name);
  }
}

function chunk<T>(xs: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += size) {
    out.push(xs.slice(i, i + size));
  }
  return out;
}
