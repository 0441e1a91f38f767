/**
 * Entry point of a spawn helper process (spawn-workers.ts): starts child processes with the
 * hardened runner (run-process.ts) on its own event loop and in its own address space, so
 * `child_process.spawn` never runs in the daemon's process: the scripts' interactive runs and the
 * tools' runs to completion (nft, ip, ...). It only executes what its owner asks over the IPC
 * channel (spawn-protocol.ts); it decides nothing. When the channel closes (the owner stopped the
 * pool, exited or was killed) it exits; the children it started lead their own process groups and
 * are not its to stop.
 */
import { runProcess, startProcess } from './run-process.js';
import type { InteractiveProcess } from './process-types.js';
import type { FromWorker, PortableProcessSpec, ToWorker } from './spawn-protocol.js';

if (process.send === undefined) {
  throw new Error('spawn-worker.js must run as a spawn helper process (with an IPC channel)');
}
const children = new Map<number, InteractiveProcess>();
/** Runs to completion in progress, by id: `kill` aborts them. */
const runs = new Map<number, AbortController>();

function post(msg: FromWorker): void {
  if (process.connected) {
    process.send?.(msg);
  }
}

function run(id: number, spec: PortableProcessSpec): void {
  const abort = new AbortController();
  runs.set(id, abort);
  void runProcess({ ...spec, signal: abort.signal }).then((result) => {
    runs.delete(id);
    post({ op: 'result', id, result });
  });
}

function handle(msg: ToWorker): void {
  if (msg.op === 'run') {
    run(msg.id, msg.spec);
    return;
  }
  if (msg.op === 'kill' && runs.has(msg.id)) {
    runs.get(msg.id)?.abort();
    return;
  }
  if (msg.op === 'start') {
    const proc = startProcess(msg.spec);
    children.set(msg.id, proc);
    void proc.done.then((exit) => {
      children.delete(msg.id);
      post({ op: 'done', id: msg.id, exit });
    });
    return;
  }
  const proc = children.get(msg.id);
  if (proc === undefined) {
    if (msg.op === 'read') {
      post({ op: 'read', id: msg.id, read: { kind: 'eof' } });
    }
    return;
  }
  switch (msg.op) {
    case 'write':
      proc.writeLine(msg.line);
      return;
    case 'close':
      proc.closeStdin();
      return;
    case 'kill':
      proc.kill();
      return;
    case 'read':
      void proc.readLine(msg.timeoutMs).then((read) => {
        post({ op: 'read', id: msg.id, read });
      });
      return;
  }
}

// The channel carries only what spawn-workers.ts sends (ToWorker), from the process that forked us.
process.on('message', (msg) => {
  handle(msg as ToWorker);
});
process.on('disconnect', () => {
  process.exit(0);
});
post({ op: 'ready' });
