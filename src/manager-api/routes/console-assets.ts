/**
 * The web console's files, built by `npm run build` (vite) into `dist/console/` and served by the
 * manager itself (no CDN): `GET /` redirects to `/console/`, `GET /console/` is the page, and
 * `GET /console/assets/:file` its scripts and styles. Asset names carry a content hash, so `assets/` is cached for a
 * year (`immutable`); the page itself is revalidated on every load. Files are read once and kept
 * in memory (the console is a few hundred KB).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { ErrorCode } from '../../protocol/error-codes.js';
import { strictObject } from '../schemas.js';

/** `dist/console/` (this file is at dist/src/manager-api/routes/). */
export const CONSOLE_DIR = fileURLToPath(new URL('../../../console/', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.woff2': 'font/woff2',
};

/** A built asset's name: "index-CSocft1x.js" (no "/", no leading "."). */
const SAFE_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}$/;

const cache = new Map<string, Buffer>();

function readAsset(rel: string): Buffer | undefined {
  const hit = cache.get(rel);
  if (hit !== undefined) {
    return hit;
  }
  const file = path.join(CONSOLE_DIR, rel);
  if (!file.startsWith(CONSOLE_DIR) || !TYPES[path.extname(file)]) {
    return undefined;
  }
  try {
    const body = fs.readFileSync(file);
    cache.set(rel, body);
    return body;
  } catch {
    return undefined;
  }
}

function send(reply: FastifyReply, rel: string): FastifyReply {
  const body = readAsset(rel);
  if (body === undefined) {
    const hint = rel === 'index.html' ? ' (the console is not built: run "npm run build")' : '';
    return reply
      .code(404)
      .send({ error: { code: ErrorCode.REQUEST_INVALID, message: `No console file "${rel}"${hint}` } });
  }
  const immutable = rel.startsWith('assets/');
  return reply
    .code(200)
    .type(TYPES[path.extname(rel)] ?? 'application/octet-stream')
    .header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
    .send(body);
}

const params = strictObject({ file: { type: 'string', maxLength: 200 } }, ['file']);

export function register(app: FastifyInstance): void {
  const config = { access: 'public' as const };
  app.get('/', { config }, async (_request, reply) => reply.redirect('/console/', 302));
  app.get('/console', { config }, async (_request, reply) => reply.redirect('/console/', 302));
  app.get('/console/', { config }, async (_request, reply) => send(reply, 'index.html'));
  app.get<{ Params: { file: string } }>(
    '/console/assets/:file',
    { config, schema: { params } },
    async (request, reply) => {
      const file = request.params.file;
      return send(reply, SAFE_NAME.test(file) ? `assets/${file}` : '-');
    },
  );
}
