/**
 * Sees when a whole nft transaction has landed in a set of a scratch namespace, without the cost of
 * `nft list set` polls (~0.5 s of CPU per poll of 100,000 elements, competing with the daemon) and
 * without `nft monitor` (which prints 100,000 element events slower than they come, ~25,000/s here,
 * and whose listener makes the kernel build one notification per element inside the measured commit:
 * +0.15-0.3 s of system time per 100,000).
 *
 * A small netlink client (/usr/bin/python3, standard library only) asks the kernel for the ruleset's
 * generation id every 2 ms (NFT_MSG_GETGEN: one tiny message). A transaction is atomic and bumps the
 * generation when it commits, so when the id changes the client notes the time (CLOCK_MONOTONIC)
 * and counts the set's elements with one netlink dump (NFT_MSG_GETSETELEM); if the generation moved
 * again meanwhile, the count is not attributed to that time and is taken again. Each stable
 * observation is one line `<generation> <elements> <monotonic ns>`; its time is within one poll
 * (2 ms) of the commit.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { ScratchNetns } from './scratch-netns.js';

const PYTHON = '/usr/bin/python3';
const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const p of live) {
    p.kill('SIGKILL');
  }
});
const POLL_MS = 2;

const WATCHER = String.raw`
import socket, struct, sys, time
table, setname, poll = sys.argv[1].encode() + b'\0', sys.argv[2].encode() + b'\0', float(sys.argv[3]) / 1000
SUBSYS = 10 << 8  # NFNL_SUBSYS_NFTABLES
GETSETELEM, NEWSETELEM, NEWGEN, GETGEN = 13, 12, 15, 16
s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 12)  # NETLINK_NETFILTER
s.bind((0, 0))
seq = [0]

def attr(t, payload):
    n = 4 + len(payload)
    return struct.pack('=HH', n, t) + payload + b'\0' * (-n % 4)

def attrs(buf, off, end):
    while off + 4 <= end:
        n, t = struct.unpack_from('=HH', buf, off)
        if n < 4:
            return
        yield t & 0x3fff, off + 4, off + n
        off += (n + 3) & ~3

def send(msg, flags, family, body=b''):
    seq[0] += 1
    payload = struct.pack('=BBH', family, 0, 0) + body
    s.send(struct.pack('=IHHII', 16 + len(payload), SUBSYS | msg, 1 | flags, seq[0], 0) + payload)

def replies():
    # Yields (type, flags, buf, payload start, end) of the answer to the last request; stops at its end.
    while True:
        buf = s.recv(1 << 20)
        off = 0
        while off + 16 <= len(buf):
            n, t, f, sq, _ = struct.unpack_from('=IHHII', buf, off)
            if sq == seq[0]:
                if t == 3:  # NLMSG_DONE
                    return
                yield t, f, buf, off + 16, off + n
                if t == 2 or not f & 2:  # NLMSG_ERROR (an ack or an error), or not multipart
                    return
            off += (n + 3) & ~3

def generation():
    send(GETGEN, 0, 0)
    for t, _, buf, start, end in replies():
        if t == SUBSYS | NEWGEN:
            for a, v, _ in attrs(buf, start + 4, end):
                if a == 1:  # NFTA_GEN_ID
                    return struct.unpack_from('>I', buf, v)[0]
    return -1

def count():
    # None when the dump was interrupted by a commit; 0 when the table or set is not there.
    send(GETSETELEM, 0x300, 1, attr(1, table) + attr(2, setname))  # NLM_F_DUMP, NFPROTO_INET
    n, intr = 0, False
    for t, f, buf, start, end in replies():
        intr = intr or bool(f & 0x10)  # NLM_F_DUMP_INTR
        if t == SUBSYS | NEWSETELEM:
            for a, v, e in attrs(buf, start + 4, end):
                if a == 3:  # NFTA_SET_ELEM_LIST_ELEMENTS
                    n += sum(1 for _ in attrs(buf, v, e))
    return None if intr else n

print('ready', flush=True)
last = None
while True:
    g = generation()
    if g != last:
        at = time.monotonic_ns()
        n = count()
        if n is not None and generation() == g:
            print(g, n, at, flush=True)
            last = g
            continue
    time.sleep(poll)
`;

/** One stable observation: the set held `count` elements from `atNs` (process.hrtime.bigint clock). */
export interface SetObservation {
  readonly generation: number;
  readonly count: number;
  readonly atNs: bigint;
}

export class SetWatcher {
  private readonly seen: SetObservation[] = [];
  private readonly waiters: { test: (n: number) => boolean; resolve: (o: SetObservation) => void }[] = [];
  private constructor(private readonly proc: ChildProcess) {}

  /** Starts watching `inet riposte <set>` in `ns`; resolves once the first observation is in. */
  static async start(ns: ScratchNetns, set = 'blocked4'): Promise<SetWatcher> {
    const [cmd, ...pre] = ns.prefix();
    const proc = spawn(cmd ?? 'ip', [...pre, PYTHON, '-c', WATCHER, 'riposte', set, String(POLL_MS)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    live.add(proc);
    proc.once('exit', () => live.delete(proc));
    const w = new SetWatcher(proc);
    if (proc.stdout === null) {
      throw new Error('set watcher: no stdout');
    }
    createInterface({ input: proc.stdout }).on('line', (line) => {
      w.onLine(line);
    });
    const exited = new Promise<never>((_, reject) => {
      proc.once('exit', (code) => {
        reject(new Error(`set watcher exited (${String(code)})`));
      });
      proc.once('error', reject);
    });
    exited.catch(() => undefined);
    await Promise.race([w.until(() => true), exited]);
    return w;
  }

  private onLine(line: string): void {
    const [g, n, at] = line.split(' ');
    if (g === undefined || n === undefined || at === undefined) {
      return;
    }
    const o = { generation: Number(g), count: Number(n), atNs: BigInt(at) };
    this.seen.push(o);
    for (const w of this.waiters.splice(0)) {
      if (w.test(o.count)) {
        w.resolve(o);
      } else {
        this.waiters.push(w);
      }
    }
  }

  /** The first observation (already seen or to come) whose element count passes `test`. */
  until(test: (count: number) => boolean): Promise<SetObservation> {
    const found = this.seen.find((o) => test(o.count));
    if (found !== undefined) {
      return Promise.resolve(found);
    }
    return new Promise((resolve) => {
      this.waiters.push({ test, resolve });
    });
  }

  /** Like `until`, rejecting after `timeoutMs` with the last count seen. */
  async within(test: (count: number) => boolean, timeoutMs: number, what: string): Promise<SetObservation> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(new Error(`${what}: not seen after ${timeoutMs} ms (last count ${this.last()})`));
      }, timeoutMs);
    });
    try {
      return await Promise.race([this.until(test), late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** The latest element count seen (-1 before the first observation). */
  last(): number {
    return this.seen[this.seen.length - 1]?.count ?? -1;
  }

  stop(): void {
    this.proc.kill('SIGTERM');
  }
}

/** ms from `fromNs` to `o` (both process.hrtime.bigint / CLOCK_MONOTONIC). */
export function msSince(fromNs: bigint, o: SetObservation): number {
  return Number(o.atNs - fromNs) / 1e6;
}
