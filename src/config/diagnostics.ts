/**
 * Collects configuration errors and warnings, each as `FILE:LINE: (CODE) message` (or without the
 * code where Wazuh has none). Wazuh stops at the first error; Riposte reports them all.
 */
export class Diagnostics {
  readonly errors: string[] = [];
  readonly warnings: string[] = [];

  constructor(readonly file: string) {}

  /** Records a fatal finding. `code` is Wazuh's message number, when it has one. */
  error(line: number, message: string, code?: number): void {
    this.errors.push(this.format(line, message, code));
  }

  /** Records a non-fatal finding. */
  warn(line: number, message: string, code?: number): void {
    this.warnings.push(this.format(line, message, code));
  }

  private format(line: number, message: string, code: number | undefined): string {
    return `${this.file}:${line}: ${code === undefined ? '' : `(${code}) `}${message}`;
  }
}

/** Wazuh's wording for the messages used in several places. */
export const Msg = {
  invalidElement: (el: string): string => `Invalid element in the configuration: '${el}'.`,
  nullContent: (el: string): string => `Invalid NULL content for element: ${el}.`,
  invalidValue: (el: string, v: string): string => `Invalid value for element '${el}': ${v}.`,
} as const;

/**
 * What to write instead, appended to a value error (Wazuh's message says only what is wrong).
 * Each starts with a space.
 */
export const Accepted = {
  yesNo: ' Accepted: yes or no.',
  level: ' Accepted: a whole number from 0 to 20.',
  timeout: ' Accepted: a number of seconds (600) or a number with a unit s, m, h or d (30s, 10m, 1h, 1d).',
} as const;

/** Wazuh message codes used by the configuration reader (reference §3). */
export const Code = {
  INVALID_ELEMENT: 1230,
  NULL_CONTENT: 1234,
  INVALID_VALUE: 1235,
  INVALID_IP: 1237,
  MISSING_COMMAND_OPTIONS: 1280,
  MISSING_AR_OPTIONS: 1281,
  INVALID_LOCATION: 1302,
  INVALID_COMMAND: 1303,
  NO_AGENT_DEFINED: 1304,
  TIMEOUT_NOT_ALLOWED: 1305,
  INVALID_AGENT_ID: 1306,
} as const;
