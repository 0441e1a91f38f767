/**
 * pinoLine (src/log/pino-line.ts) writes the line pino writes, character for character: checked
 * against pino itself with the daemon log's options, on ordinary and awkward texts and values; and
 * the daemon log's info lines (built that way) against the warn lines pino still writes.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { openDaemonLog, type LogFields } from '../../../src/log/daemon-log.js';
import { pinoHead, pinoLine } from '../../../src/log/pino-line.js';

const TIME = ',"time":"2026-11-30T20:00:00.000Z"';

/** What pino writes for `logger.info(fields, msg)` with the daemon log's options. */
function pinoWrites(tag: string, msg: string, fields: LogFields | undefined, level = 'info'): string {
  const lines: string[] = [];
  const logger = pino(
    { level: 'debug', base: { tag }, timestamp: () => TIME },
    { write: (line: string) => lines.push(line) },
  );
  if (level === 'debug') {
    logger.debug(fields ?? {}, msg);
  } else {
    logger.info(fields ?? {}, msg);
  }
  assert.equal(lines.length, 1);
  return lines[0] ?? '';
}

const long = 'x'.repeat(99);
const texts = [
  '',
  "Active response in force: key 'firewall-drop-198.51.100.7', agent 001, until 2026-11-30T20:10:00.000Z (firewall-drop600)",
  'quote " and backslash \\ inside',
  `${long}"`,
  `${long}"y`,
  'tab\there, newline\nthere',
  'a lone surrogate \ud800 here',
  'non-ASCII: é, 中文, 🙂',
  '%s %d %j %% not formatted',
  '\u001f control',
];

describe('pinoLine', () => {
  test("is pino's line for each text as message, field name and field value", () => {
    for (const text of texts) {
      const cases: (LogFields | undefined)[] = [undefined, {}, { key: text }, { [text]: 'v' }];
      for (const fields of cases) {
        assert.equal(
          pinoLine(pinoHead(30, TIME, `,"tag":${JSON.stringify('riposte-execd')}`), text, fields),
          pinoWrites('riposte-execd', text, fields),
          JSON.stringify({ text, fields }),
        );
      }
    }
  });

  test("is pino's line for numbers, booleans and undefined fields, in field order, at debug too", () => {
    const fields: LogFields = {
      key: 'firewall-drop-198.51.100.7',
      count: 3,
      negative: -0,
      fraction: 0.1,
      big: 1e21,
      notFinite: Number.NaN,
      infinite: Number.POSITIVE_INFINITY,
      yes: true,
      no: false,
      absent: undefined,
      agent: '001',
    };
    const tag = `,"tag":${JSON.stringify('manager')}`;
    assert.equal(pinoLine(pinoHead(30, TIME, tag), 'msg', fields), pinoWrites('manager', 'msg', fields));
    assert.equal(
      pinoLine(pinoHead(20, TIME, tag), 'msg', fields),
      pinoWrites('manager', 'msg', fields, 'debug'),
    );
  });

  test("the daemon log's info lines have pino's shape (as its warn lines, still pino's) and follow its level", () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'riposte-pino-line-'));
    try {
      const log = openDaemonLog(home, 'info', 'riposte-execd');
      log.debug('not written', { key: 'k' });
      log.info('in force', { key: 'k', agent: '001' });
      log.warn('in force', { key: 'k', agent: '001' });
      log.flush();
      const lines = fs
        .readFileSync(path.join(home, 'logs', 'riposte.log'), 'utf8')
        .trimEnd()
        .split('\n');
      assert.equal(lines.length, 2);
      const strip = (line: string): string => line.replace(/^\{"level":\d+,"time":"[^"]+"/, '');
      assert.equal(strip(lines[0] ?? ''), strip(lines[1] ?? ''));
      assert.match(lines[0] ?? '', /^\{"level":30,"time":"\d{4}-\d\d-\d\dT[\d:.]+Z","tag":"riposte-execd",/);
      assert.match(lines[1] ?? '', /^\{"level":40,/);
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  });
});
