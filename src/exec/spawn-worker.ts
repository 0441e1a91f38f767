/**
 * Entry point of a spawn worker thread: starts child processes with the hardened runner
 * (run-process.ts) on this thread's event loop, so `child_process.spawn` (fork + exec, a few ms of
 * synchronous work each) never runs on the daemon's main loop: the scripts' interactive runs and the
 * tools' runs to completion (nft, ip, ...). It only executes what the main thread
 * asks (spawn-protocol.ts); it decides nothing.
 */
import { parentPort } from 'node:worker_threads';
import { runProcess, startProcess } from './run-process.js';
import type { InteractiveProcess } from './process-types.js';
import type { FromWorker, PortableProcessSpec, ToWorker } from './spawn-protocol.js';

const port = parentPort;
if (port === null) {
  throw new Error('spawn-worker.js must run as a worker thread');
}
const children = new Map<number, InteractiveProcess>();
/** Runs to completion in progress, by id: `kill` aborts them. */
const runs = new Map<number, AbortController>();

function post(msg: FromWorker): void {
  port?.postMessage(msg);
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

port.on('message', handle);
