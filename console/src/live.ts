// The live feed: one EventSource on GET /executions/stream for the whole page, fanned out to the
// pages that listen. The browser reconnects by itself after a network error.
import type { Execution } from './api';

type Listener = (e: Execution) => void;

const listeners = new Set<Listener>();
const stateListeners = new Set<(up: boolean) => void>();
let source: EventSource | undefined;

export function startLive(): void {
  if (source !== undefined) {
    return;
  }
  source = new EventSource('/executions/stream');
  source.addEventListener('execution', (ev: MessageEvent<string>) => {
    const e = JSON.parse(ev.data) as Execution;
    for (const l of listeners) {
      l(e);
    }
  });
  source.onopen = () => {
    for (const l of stateListeners) {
      l(true);
    }
  };
  source.onerror = () => {
    for (const l of stateListeners) {
      l(false);
    }
  };
}

export function stopLive(): void {
  source?.close();
  source = undefined;
}

/** Subscribes to new executions; returns the unsubscribe function. */
export function onExecution(l: Listener): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}

export function onLiveState(l: (up: boolean) => void): () => void {
  stateListeners.add(l);
  return () => stateListeners.delete(l);
}
