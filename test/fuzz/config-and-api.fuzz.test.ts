/**
 * Fuzz (issue #13): ossec.conf (XML reader + compiler) and the REST API's bodies. The config path
 * must answer any text with a config or `FILE:LINE:` errors, never an exception; the API must
 * answer any body with a 2xx/4xx verdict, never a 500.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { readXml } from '../../src/config/xml-reader.js';
import { compileConfig } from '../../src/config/compile-config.js';
import { apiFixture, type ApiFixture } from '../manager-api/api-fixture.js';
import { fuzzParams, hostileText, nested } from './fuzz-support.js';

const FILE = 'fuzz/ossec.conf';

/** Element names ossec.conf's active-response part uses, plus near misses. */
const names = [
  'ossec_config',
  'command',
  'name',
  'executable',
  'timeout_allowed',
  'extra_args',
  'active-response',
  'disabled',
  'location',
  'agent_id',
  'level',
  'rules_group',
  'rules_id',
  'timeout',
  'repeated_offenders',
  'global',
  'white_list',
  'rule_id',
  'commnd',
];
const values = [
  'yes',
  'no',
  'local',
  'all',
  'server',
  'defined-agent',
  '600',
  '-1',
  '10m',
  '1,2,3',
  '5712',
  'firewall-drop',
  '',
  '<',
  '&amp;',
  ']]>',
];

/** A random ossec.conf-shaped tree: right and wrong names, values and nesting. */
const xmlTree: fc.Arbitrary<string> = fc.letrec((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.tuple(fc.constantFrom(...names), fc.constantFrom(...values)).map(([n, v]) => `<${n}>${v}</${n}>`),
    fc
      .tuple(fc.constantFrom(...names), fc.array(tie('node'), { maxLength: 5 }))
      .map(([n, kids]) => `<${n}>\n${(kids as string[]).join('\n')}\n</${n}>`),
  ),
})).node;

function compileText(text: string): void {
  const read = readXml(text, FILE);
  if (!read.ok) {
    for (const e of read.errors) {
      assert.match(e, /^fuzz\/ossec\.conf:\d+: /);
    }
    return;
  }
  for (const mode of ['manager', 'agent'] as const) {
    const result = compileConfig(read.elements, { file: FILE, mode });
    if (!result.ok) {
      for (const e of result.errors) {
        assert.match(e, /^fuzz\/ossec\.conf:\d+: /);
      }
    }
  }
}

describe('fuzz: ossec.conf', () => {
  test('any text is a config or FILE:LINE errors', () => {
    fc.assert(fc.property(hostileText, compileText), fuzzParams);
  });

  test('any ossec.conf-shaped tree (right and wrong names, values, nesting) is a config or FILE:LINE errors', () => {
    fc.assert(
      fc.property(fc.array(xmlTree, { minLength: 1, maxLength: 3 }), (roots) => {
        compileText(`<ossec_config>\n${roots.join('\n')}\n</ossec_config>\n`);
      }),
      fuzzParams,
    );
  });

  test('elements nested 5,000 deep are an answer, not a stack overflow', () => {
    compileText(`<ossec_config>${nested(5_000, '<command>', '</command>', 'x')}</ossec_config>`);
  });
});

describe('fuzz: REST API bodies', () => {
  let api: ApiFixture;
  before(async () => {
    api = await apiFixture();
  });
  after(async () => {
    await api.close();
  });

  const routes = [
    { method: 'POST', url: '/alerts', type: 'application/x-ndjson' },
    { method: 'POST', url: '/alerts', type: 'application/json' },
    { method: 'PUT', url: '/active-response', type: 'application/json' },
    { method: 'POST', url: '/explain', type: 'application/json' },
    { method: 'POST', url: '/tokens', type: 'application/json' },
    { method: 'POST', url: '/session', type: 'application/json' },
  ] as const;

  test('any body on any write route is answered 2xx or 4xx, never 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...routes), hostileText, async (route, body) => {
        const res = await api.app.inject({
          method: route.method,
          url: route.url,
          headers: { ...api.auth('admin'), 'content-type': route.type },
          payload: body,
        });
        assert.ok(
          res.statusCode < 500,
          `${route.method} ${route.url} answered ${res.statusCode}: ${res.body.slice(0, 200)}`,
        );
      }),
      fuzzParams,
    );
  });
});
