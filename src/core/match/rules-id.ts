/**
 * Wazuh's `<rules_id>` scanner (reference §3.4), reproduced exactly because users' configs rely on it:
 * spaces and commas are skipped; at a digit the number is read (atoi) and the scan jumps past the next
 * comma (it ends when there is none); any other character ends the scan. So `5710,5712`,
 * `5710, 5712` and `,,5710` give both ids, `5710 5712` gives only 5710 and `5710,x,5712` only 5710.
 */
import { atoi } from '../c-atoi.js';

/** What the scanner took, and whether it read every character that looks meant as an id. */
export interface RulesIdScan {
  readonly ids: readonly number[];
  /**
   * False when text other than spaces and commas was skipped or ended the scan, so ids written there
   * are silently ignored by Wazuh (`5710 5712`). Riposte warns about it.
   */
  readonly complete: boolean;
}

/** Scans a `<rules_id>` value the way analysisd's `Rule_AddAR` does. */
export function scanRulesId(text: string): RulesIdScan {
  const ids: number[] = [];
  let complete = true;
  let i = 0;
  while (i < text.length) {
    const c = text[i] ?? '';
    if (c === ' ' || c === ',') {
      i++;
    } else if (c >= '0' && c <= '9') {
      ids.push(atoi(text.slice(i)));
      const digitsEnd = i + (/^\d+/.exec(text.slice(i))?.[0].length ?? 0);
      const comma = text.indexOf(',', i);
      const skipped = comma < 0 ? text.slice(digitsEnd) : text.slice(digitsEnd, comma);
      complete &&= skipped.trim() === '';
      if (comma < 0) {
        break;
      }
      i = comma + 1;
    } else {
      complete = false;
      break;
    }
  }
  return { ids, complete };
}
