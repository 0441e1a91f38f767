/**
 * Messages between the main thread and a spawn worker (spawn-workers.ts, spawn-worker.ts). The
 * worker owns the child processes; the main thread keeps every decision (what to write back after
 * the first line) and only sends the resulting line. Types only.
 */
import type { LineRead } from './line-reader.js';
import type { InteractiveSpec, ProcessExit, ProcessResult, ProcessSpec } from './process-types.js';

/** A run-to-completion spec as it crosses to a worker: the abort signal stays on the main thread. */
export type PortableProcessSpec = Omit<ProcessSpec, 'signal'>;

export type ToWorker =
  | { readonly op: 'start'; readonly id: number; readonly spec: InteractiveSpec }
  /** Run to completion (a tool: nft, ip, ...); `kill` aborts it. */
  | { readonly op: 'run'; readonly id: number; readonly spec: PortableProcessSpec }
  | { readonly op: 'write'; readonly id: number; readonly line: string }
  | { readonly op: 'close'; readonly id: number }
  | { readonly op: 'read'; readonly id: number; readonly timeoutMs: number }
  | { readonly op: 'kill'; readonly id: number };

export type FromWorker =
  /** Sent once, when the helper listens: until then the pool runs tools itself (spawn-workers.ts). */
  | { readonly op: 'ready' }
  | { readonly op: 'read'; readonly id: number; readonly read: LineRead }
  | { readonly op: 'done'; readonly id: number; readonly exit: ProcessExit }
  | { readonly op: 'result'; readonly id: number; readonly result: ProcessResult };
