/**
 * Entry point of a spawn worker thread: starts child processes with the hardened runner
 * (run-process.ts) on this thread's event loop, so `child_process.spawn` (fork + exec, a few ms of
 * synchronous work each) never runs on the daemon's main loop. It only executes what the main thread
 * asks (spawn-protocol.ts); it decides nothing.
 */
import { parentPort } from 'node:worker_threads';
import { startProcess } from './run-process.js';
import type { InteractiveProcess } from './process-types.js';
import type { FromWorker, ToWorker } from './spawn-protocol.js';

const port = parentPort;
if (port === null) {
  throw new Error('spawn-worker.js must run as a worker thread');
}
const children = new Map<number, InteractiveProcess>();

function post(msg: FromWorker): void {
  port?.postMessage(msg);
}

function handle(msg: ToWorker): void {
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
