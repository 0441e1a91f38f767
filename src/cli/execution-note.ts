/**
 * The NOTE cell of an execution in the CLI's tables (`ar history`, `--follow`, `status`): its note
 * and, for one that did not succeed, the last line its script wrote to stderr, where the reason
 * usually is (firewall-drop: "Cannot read 'srcip' from data or invalid IP format"). Without it the
 * table said only "failed 255 no check_keys line: not tracked" and the reason took `--json`.
 */
import type { ExecutionView } from '../api/routes/views.js';
import { excerpt } from '../protocol/json-bounds.js';

/** Characters of the stderr line shown; the whole tail is in `--json` (`stderr_tail`). */
const STDERR_CHARS = 160;

/** The last non-blank line of `text`, trimmed; '' when there is none. */
function lastLine(text: string): string {
  const lines = text.split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const l = (lines[i] ?? '').trim();
    if (l !== '') {
      return l;
    }
  }
  return '';
}

export function noteCell(e: ExecutionView): string {
  const note = e.note ?? '';
  if (e.status !== 'failed' && e.status !== 'timed-out') {
    return note;
  }
  const line = lastLine(e.stderr_tail);
  if (line === '') {
    return note;
  }
  const stderr = `stderr: ${excerpt(line, STDERR_CHARS)}`;
  return note === '' ? stderr : `${note}; ${stderr}`;
}
