/** How a log names a line of a tailed alerts file. Pure. */

/**
 * `alerts file '/var/ossec/logs/alerts/alerts.json', the line at offset 10234`: a tailed line is
 * named by where it starts in the file (its number there is not known: the tail may have started
 * at the end, and rotation restarts the count), computed only for a line that is reported.
 */
export function tailedLineLabel(
  file: string,
  lines: readonly string[],
  lineEnds: readonly number[],
  i: number,
): string {
  const end = lineEnds[i];
  const line = lines[i];
  const where =
    end === undefined || line === undefined
      ? ''
      : `, the line at offset ${end - Buffer.byteLength(line) - 1}`;
  return `alerts file '${file}'${where}`;
}
