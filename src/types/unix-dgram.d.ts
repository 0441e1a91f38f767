// Types for the parts of `unix-dgram` Riposte uses (the package ships none).
declare module 'unix-dgram' {
  import type { EventEmitter } from 'node:events';
  export interface UnixDgramSocket extends EventEmitter {
    /** The socket's file descriptor (non-blocking); -1 once closed. */
    readonly fd: number;
    bind(path: string): void;
    connect(path: string): void;
    send(buf: Buffer, callback?: (err?: Error) => void): void;
    send(buf: Buffer, offset: number, length: number, path: string, callback?: (err?: Error) => void): void;
    close(): void;
  }
  export function createSocket(type: 'unix_dgram', listener?: (msg: Buffer) => void): UnixDgramSocket;
  const _default: { createSocket: typeof createSocket };
  export default _default;
}
