/**
 * The raw configuration tree: what the XML says, with line numbers kept for messages. Produced by
 * xml-reader.ts, consumed by compile-config.ts. Attributes are not kept (Wazuh's AR settings use none).
 */
export interface XmlElement {
  readonly name: string;
  /** The element's own text and CDATA, trimmed of surrounding whitespace. */
  readonly text: string;
  /** 1-based line of the element's start tag. */
  readonly line: number;
  readonly children: readonly XmlElement[];
}
