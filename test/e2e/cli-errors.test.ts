/**
 * The CLI says what went wrong and exits with the documented code (docs/errors.md, "CLI"): never a
 * raw stack or INTERNAL (70) for a user's mistake. The built executable, run as a user would.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { alertsSource } from '../../src/cli/commands/explain.js';

const MAIN = path.resolve('dist/src/cli/main.js');

function riposte(
  args: readonly string[],
  input?: string,
): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', input: input ?? '' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

void describe('CLI errors', () => {
  void test('explain /nope.json: a clear not-found error, exit 1', () => {
    assert.deepEqual(riposte(['explain', '-c', 'examples/ossec.conf', '/nope.json']), {
      status: 1,
      stdout: '',
      stderr: 'riposte: Cannot open "/nope.json": no such file or directory\n',
    });
  });

  void test('explain with no file and a terminal on stdin: a usage hint (exit 2) instead of waiting', () => {
    // `script` gives the command a pseudo-terminal as stdin.
    const cmd = `${process.execPath} ${MAIN} explain -c examples/ossec.conf`;
    const r = spawnSync('script', ['-qec', cmd, '/dev/null'], {
      encoding: 'utf8',
      input: '',
      timeout: 20_000,
    });
    assert.equal(r.status, 2, r.stdout);
    assert.match(r.stdout, /Give an alerts file \(one JSON alert per line\), or pipe alerts in/);
  });

  void test('explain with no file reads a pipe, as before', () => {
    const alert = JSON.stringify({ id: '1.1', rule: { id: '5712', level: 10 }, agent: { id: '001' } });
    const r = riposte(['explain', '-c', 'examples/ossec.conf', '--json'], `${alert}\n`);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.split('\n').filter((l) => l !== '').length, 1);
  });

  void test('alertsSource: "-" and no argument read stdin unless it is a terminal', () => {
    assert.equal(alertsSource(undefined, false), 'stdin');
    assert.equal(alertsSource('-', true), 'stdin');
    assert.deepEqual(alertsSource('a.json', true), { file: 'a.json' });
    assert.throws(() => alertsSource(undefined, true), /Give an alerts file/);
  });

  void test('a mistyped command name: did you mean, exit 2', () => {
    const r = riposte(['chek', '-c', 'x']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /unknown command 'chek'\n\(Did you mean check\?\)/);
  });

  void test('outside text in an error reaches the terminal escaped: no escape sequence runs', () => {
    // ESC ] 0 ; ... BEL retitles a terminal; U+202E reverses what follows ("Trojan Source").
    const r = riposte(['explain', '-c', 'examples/ossec.conf', '/nope\u001b]0;owned\u0007\u202e.json']);
    assert.deepEqual(r, {
      status: 1,
      stdout: '',
      stderr: 'riposte: Cannot open "/nope\\x1b]0;owned\\x07\\u{202e}.json": no such file or directory\n',
    });
  });

  void test('a config that cannot be read: exit 1, the path and the reason', () => {
    assert.deepEqual(riposte(['check', '-c', '/nope.conf']), {
      status: 1,
      stdout: '',
      stderr: '/nope.conf: cannot read: no such file or directory\n',
    });
  });
});
