/**
 * Reads a Server-Sent Events stream (text/event-stream) into events: `event:` name, `data:` lines
 * joined with "\n", dispatched at each blank line; comments (`:`) and `id:`/`retry:` are skipped.
 * Bounded: an event larger than 1 MiB ends the stream with an error.
 */
import type { Readable } from 'node:stream';

export interface SseEvent {
  readonly event: string;
  readonly data: string;
}

const MAX_EVENT_BYTES = 1024 * 1024;

/** Applies one line to the pending event; returns the event when the line completes one. */
function feed(line: string, pending: { event: string; data: string[] }): SseEvent | undefined {
  if (line === '') {
    const done =
      pending.data.length > 0 ? { event: pending.event, data: pending.data.join('\n') } : undefined;
    pending.event = 'message';
    pending.data = [];
    return done;
  }
  const colon = line.indexOf(':');
  const field = colon < 0 ? line : line.slice(0, colon);
  const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
  if (field === 'event') {
    pending.event = value;
  } else if (field === 'data') {
    pending.data.push(value);
  }
  return undefined;
}

/** The events of `stream`, in order, until it ends. */
export async function* sseEvents(stream: Readable): AsyncGenerator<SseEvent> {
  const pending = { event: 'message', data: [] as string[] };
  let buffer = '';
  for await (const chunk of stream as AsyncIterable<Buffer | string>) {
    buffer += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    if (buffer.length > MAX_EVENT_BYTES) {
      throw new Error('event stream: an event is larger than 1 MiB');
    }
    let nl = buffer.indexOf('\n');
    while (nl >= 0) {
      const event = feed(buffer.slice(0, nl).replace(/\r$/, ''), pending);
      buffer = buffer.slice(nl + 1);
      if (event !== undefined) {
        yield event;
      }
      nl = buffer.indexOf('\n');
    }
  }
}
