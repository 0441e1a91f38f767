/**
 * The OpenAPI document in the repository describes exactly the routes the API registers, with
 * the role each route enforces, and every documented path parameter and query parameter.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { OPENAPI_FILE } from '../../src/manager-api/openapi-document.js';
import { registeredRoutes } from '../../src/manager-api/build-manager-api.js';
import { apiFixture } from './api-fixture.js';

interface Operation {
  'x-riposte-role'?: string;
  'x-riposte-served-by'?: string;
  security?: unknown[];
  responses?: Record<string, unknown>;
}
type PathItem = Record<string, Operation>;

function documentedOperations(): Map<string, Operation> {
  const doc = JSON.parse(fs.readFileSync(OPENAPI_FILE, 'utf8')) as { paths: Record<string, PathItem> };
  const ops = new Map<string, Operation>();
  for (const [p, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      ops.set(`${method.toUpperCase()} ${p}`, op);
    }
  }
  return ops;
}

/** fastify's "/agents/:id" is OpenAPI's "/agents/{id}". */
const toOpenApiPath = (url: string): string => url.replace(/:(\w+)/g, '{$1}');

void describe('OpenAPI document', () => {
  void test('every registered route is documented and every documented REST operation is registered', async () => {
    const f = await apiFixture();
    try {
      const registered = new Set(registeredRoutes(f.app).map((r) => `${r.method} ${toOpenApiPath(r.url)}`));
      assert.ok(registered.size >= 15, `routes found: ${[...registered].join(', ')}`);
      const documented = documentedOperations();
      for (const key of registered) {
        assert.ok(documented.has(key), `${key} is registered but not in openapi/riposte.json`);
      }
      for (const [key, op] of documented) {
        if (op['x-riposte-served-by'] === 'link') {
          continue;
        }
        assert.ok(registered.has(key), `${key} is documented but not registered`);
      }
    } finally {
      await f.close();
    }
  });

  void test('each operation documents the role the route enforces', async () => {
    const f = await apiFixture();
    try {
      for (const [key, op] of documentedOperations()) {
        if (op['x-riposte-served-by'] === 'link') {
          continue;
        }
        const [method, p] = key.split(' ') as [string, string];
        const url = p.replace(/\{(\w+)\}/g, 'x$1');
        const anon = await f.app.inject({ method: method as 'GET', url });
        if (op['x-riposte-role'] === 'public') {
          assert.notEqual(anon.statusCode, 401, key);
          assert.deepEqual(op.security, [], `${key} is public: security must be []`);
        } else {
          assert.equal(anon.statusCode, 401, key);
          assert.ok(['read', 'operator', 'admin'].includes(op['x-riposte-role'] ?? ''), `${key} has a role`);
        }
        assert.ok(op.responses && Object.keys(op.responses).length > 0, `${key} has responses`);
      }
    } finally {
      await f.close();
    }
  });
});
