/**
 * Fuzz (issue #13): the JSON entry points: the bound scanner, AR messages on execq (intake), alert
 * lines (alerts.json and POST /alerts), link frames in both directions. Each property: the parser
 * returns a verdict for any input and never throws; where a bound applies, the verdict is right.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { checkJsonBounds, fewBrackets, INPUT_BOUNDS, nestingDepth } from '../../src/protocol/json-bounds.js';
import { parseAlertLine } from '../../src/protocol/alert.js';
import { parseAgentFrame, parseManagerFrame } from '../../src/protocol/link.js';
import { intake } from '../../src/agent/execd/intake.js';
import type { CommandResolver } from '../../src/agent/command-resolver.js';
import type { DaemonLog } from '../../src/log/daemon-log.js';
import { deepJsonText, depthOf, fuzzParams, hostileText, nested } from './fuzz-support.js';

const quietLog: DaemonLog = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  flush: () => undefined,
};

/** Every command name resolves to one stateful program, so valid messages reach the job stage. */
const resolver: CommandResolver = {
  resolve: () => ({ kind: 'found', program: 'active-response/bin/firewall-drop', timeout: 600 }),
  names: () => ['firewall-drop600'],
};

describe('fuzz: JSON entry points', () => {
  test('the bound scanner counts the nesting of any JSON value exactly (brackets in strings ignored)', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 12 }), (value) => {
        const text = JSON.stringify(value);
        assert.equal(nestingDepth(text, 1_000), depthOf(value));
      }),
      fuzzParams,
    );
  });

  test('the bound scanner skips strings as a char-by-char reading does, escapes and invalid text included', () => {
    /** The reference: each backslash escapes the next character; brackets inside strings ignored. */
    const reference = (text: string, limit: number): number => {
      let depth = 0;
      let max = 0;
      let inString = false;
      for (let i = 0; i < text.length; i++) {
        const c = text[i];
        if (inString) {
          if (c === '\\') {
            i++;
          } else if (c === '"') {
            inString = false;
          }
        } else if (c === '"') {
          inString = true;
        } else if (c === '{' || c === '[') {
          max = Math.max(max, ++depth);
          if (max > limit) {
            return max;
          }
        } else if ((c === '}' || c === ']') && depth > 0) {
          depth--;
        }
      }
      return max;
    };
    const piece = fc.constantFrom('"', '\\', '{', '[', '}', ']', 'a', '\\"', '"\\\\"');
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 60 }), fc.integer({ min: 0, max: 8 }), (pieces, limit) => {
        const text = pieces.join('');
        assert.equal(nestingDepth(text, limit), reference(text, limit), JSON.stringify(text));
      }),
      fuzzParams,
    );
  });

  test('the bracket count passes only texts the scanner finds within the limit (its shortcut is sound)', () => {
    const piece = fc.constantFrom('"', '\\', '{', '[', '}', ']', 'a', '\\"', '"{"', '"["');
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 60 }), fc.integer({ min: 0, max: 12 }), (pieces, limit) => {
        const text = pieces.join('');
        const opened = text.replace(/[^{[]/g, '').length;
        assert.equal(fewBrackets(text, limit), opened <= limit, JSON.stringify(text));
        if (fewBrackets(text, limit)) {
          assert.ok(nestingDepth(text, limit) <= limit, JSON.stringify(text));
        }
      }),
      fuzzParams,
    );
  });

  test('a text with more brackets than the limit, all inside strings, is still accepted', () => {
    const text = JSON.stringify({ log: '{'.repeat(500) + '['.repeat(500) });
    assert.equal(fewBrackets(text, INPUT_BOUNDS.alert.maxDepth), false);
    assert.equal(checkJsonBounds(text, INPUT_BOUNDS.alert), undefined);
    const deep = '['.repeat(101) + ']'.repeat(101);
    assert.deepEqual(checkJsonBounds(deep, INPUT_BOUNDS.alert), { kind: 'too-deep', max: 100 });
  });

  test('the bound refuses every text nested deeper than its limit, before any parser sees it', () => {
    fc.assert(
      fc.property(deepJsonText, (text) => {
        const violation = checkJsonBounds(text, INPUT_BOUNDS.arMessage);
        const deep = nestingDepth(text, INPUT_BOUNDS.arMessage.maxDepth) > INPUT_BOUNDS.arMessage.maxDepth;
        assert.equal(
          violation !== undefined,
          deep || Buffer.byteLength(text) > INPUT_BOUNDS.arMessage.maxBytes,
        );
      }),
      fuzzParams,
    );
  });

  test('execq intake: any datagram is a job or a logged refusal, never an exception', () => {
    fc.assert(
      fc.property(hostileText, (raw) => {
        const result = intake(raw, resolver, quietLog);
        assert.equal(typeof result.ok, 'boolean');
      }),
      fuzzParams,
    );
  });

  test('execq intake: a well-formed message wrapped around hostile parameters is still judged', () => {
    fc.assert(
      fc.property(fc.oneof(fc.json({ maxDepth: 5 }), deepJsonText), (params) => {
        const raw = `{"version":1,"command":"firewall-drop600","parameters":{"alert":${params}}}`;
        const result = intake(raw, resolver, quietLog);
        if (result.ok) {
          // A message intake accepts must be one the rest of the add path can rewrite without recursion trouble.
          assert.ok(JSON.stringify(result.job.message).length > 0);
        }
      }),
      fuzzParams,
    );
  });

  test('alert lines: any line parses to an alert or an error, and a line nested 10,000 deep is an error', () => {
    fc.assert(
      fc.property(hostileText, (line) => {
        const result = parseAlertLine(line);
        assert.equal(typeof result.ok, 'boolean');
      }),
      fuzzParams,
    );
    assert.equal(parseAlertLine(`{"rule":{"id":"5712","level":10},"data":${nested(10_000)}}`).ok, false);
  });

  test('link frames: any text from an agent or a manager is a frame or an error, never an exception', () => {
    fc.assert(
      fc.property(hostileText, (text) => {
        assert.equal(typeof parseAgentFrame(text).ok, 'boolean');
        assert.equal(typeof parseManagerFrame(text).ok, 'boolean');
      }),
      fuzzParams,
    );
  });

  test('link frames: well-typed frames with hostile fields are still judged', () => {
    const types = [
      'hello',
      'execution',
      'active-list',
      'ack',
      'rejected',
      'welcome',
      'order',
      'revert',
      'ping',
    ];
    fc.assert(
      fc.property(
        fc.constantFrom(...types),
        fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 4 })),
        (type, rest) => {
          const text = JSON.stringify({ ...rest, type });
          assert.equal(typeof parseAgentFrame(text).ok, 'boolean');
          assert.equal(typeof parseManagerFrame(text).ok, 'boolean');
        },
      ),
      fuzzParams,
    );
  });
});
