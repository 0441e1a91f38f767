/** listenServer: a listen error rejects; an error once listening is reported and the server goes on. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer, type AddressInfo } from 'node:net';
import { listenServer } from '../../../src/net/listen-server.js';

test('a port in use rejects; an error once listening goes to onError and the server keeps accepting', async () => {
  const errors: string[] = [];
  const server = createServer((socket) => {
    socket.end('hi');
  });
  await listenServer(server, { host: '127.0.0.1', port: 0 }, (err) => errors.push(err.message));
  const { port } = server.address() as AddressInfo;
  const other = createServer();
  await assert.rejects(
    listenServer(other, { host: '127.0.0.1', port }, () => undefined),
    /EADDRINUSE/,
  );
  // What net does when an accept fails (EMFILE): an 'error' event on the listening server.
  server.emit('error', new Error('accept EMFILE'));
  assert.deepEqual(errors, ['accept EMFILE']);
  const reply = await new Promise<string>((resolve, reject) => {
    const c = connect(port, '127.0.0.1');
    let text = '';
    c.on('data', (d: Buffer) => (text += d.toString()));
    c.on('end', () => {
      resolve(text);
    });
    c.on('error', reject);
  });
  assert.equal(reply, 'hi');
  await new Promise((resolve) => server.close(resolve));
});
