/**
 * Reads ossec.conf-style XML into a tree of {@link XmlElement}s. Like Wazuh's own reader it accepts
 * several top-level elements (Wazuh files hold several `<ossec_config>` roots), comments and an
 * `<?xml?>` declaration. It does not interpret anything: that is compile-config.ts's job.
 *
 * This module and load-config.ts are the only config files allowed to use a parser library.
 */
import { SaxesParser } from 'saxes';
import type { XmlElement } from './xml-element.js';

/** The top-level elements of a document, or the first syntax error. */
export type XmlReadResult =
  | { readonly ok: true; readonly elements: readonly XmlElement[] }
  | { readonly ok: false; readonly errors: readonly string[] };

interface Building {
  name: string;
  text: string;
  line: number;
  children: XmlElement[];
}

/**
 * Blanks out a leading BOM and XML declaration, keeping newlines so that line numbers stay right.
 * saxes' fragment mode (needed for several roots) refuses a declaration anywhere.
 */
function blankDeclaration(text: string): string {
  const noBom = text.startsWith('\uFEFF') ? ` ${text.slice(1)}` : text;
  const match = /^\s*<\?xml\b[\s\S]*?\?>/.exec(noBom);
  return match ? match[0].replace(/[^\n]/g, ' ') + noBom.slice(match[0].length) : noBom;
}

/**
 * Wazuh's reader is more lenient than XML in two ways real files rely on: `--` inside a comment
 * (e.g. a commented-out `<extra_args>--flag</extra_args>`) and `&`: os_xml does no entity
 * processing, so a bare `&` (`a && b` in a `<localfile><command>`) or an undefined entity
 * (`sleep 1&wait;`) is text. Every `&` that does not start one of XML's five predefined entities
 * or a character reference is escaped. Nothing moves to another line, so error lines stay exact.
 */
function wazuhLenient(text: string): string {
  return text
    .replace(/<!--([\s\S]*?)-->/g, (_m, body: string) => `<!--${body.replace(/[^\n]/g, ' ')}-->`)
    .replace(/&(?!(?:#\d+|#x[0-9a-fA-F]+|amp|lt|gt|quot|apos);)/g, '&amp;');
}

function finish(b: Building): XmlElement {
  return { name: b.name, text: b.text.trim(), line: b.line, children: b.children };
}

/**
 * What the user needs to fix a tag mismatch: the close tag found and the open one it should close
 * (saxes says only "unexpected close tag"), or where an unclosed tag was opened.
 */
interface ErrorPlace {
  /** The text parsed and how far the parser got in it. */
  readonly source: string;
  readonly position: number;
  /** Tags open at the error, and the one closed last. */
  readonly stack: readonly Building[];
  readonly lastClosed: Building | undefined;
}

function openTagHint(what: string, { source, position, stack, lastClosed }: ErrorPlace): string {
  if (what.startsWith('unexpected close tag')) {
    // saxes has just closed (and reported) the open tag that did not match.
    const open = lastClosed;
    const close = /<\/\s*([^\s>]*)[^<]*$/.exec(source.slice(0, position))?.[1];
    const found = close === undefined ? 'a close tag' : `</${close}>`;
    return open === undefined
      ? ` Found ${found} with no open tag.`
      : ` Found ${found} while <${open.name}> (line ${open.line}) is open: expected </${open.name}>.`;
  }
  const open = stack[stack.length - 1];
  if (what.startsWith('unclosed tag') && open !== undefined) {
    return ` (opened at line ${open.line}, never closed)`;
  }
  return '';
}

/**
 * Parses `text` (the contents of `file`). A syntax error yields one message
 * `FILE:LINE: XML syntax error: <what>`; later errors are consequences and are not reported.
 */
export function readXml(text: string, file: string): XmlReadResult {
  const parser = new SaxesParser({ fragment: true, xmlns: false, position: true });
  const roots: XmlElement[] = [];
  const stack: Building[] = [];
  let error: string | undefined;
  let startLine = 1;
  parser.on('opentagstart', () => {
    startLine = parser.line;
  });
  parser.on('opentag', (tag) => {
    stack.push({ name: tag.name, text: '', line: startLine, children: [] });
  });
  const onText = (t: string): void => {
    const top = stack[stack.length - 1];
    if (top) {
      top.text += t;
    }
  };
  parser.on('text', onText);
  parser.on('cdata', onText);
  let lastClosed: Building | undefined;
  parser.on('closetag', () => {
    const done = stack.pop();
    lastClosed = done;
    if (done) {
      (stack[stack.length - 1]?.children ?? roots).push(finish(done));
    }
  });
  const source = wazuhLenient(blankDeclaration(text));
  parser.on('error', (e) => {
    const what = e.message.replace(/^\d+:\d+: /, '');
    error ??= `${file}:${parser.line}: XML syntax error: ${what}${openTagHint(what, { source, position: parser.position, stack, lastClosed })}`;
  });
  parser.write(source).close();
  return error === undefined ? { ok: true, elements: roots } : { ok: false, errors: [error] };
}
