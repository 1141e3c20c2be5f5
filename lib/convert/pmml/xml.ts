/**
 * Reads an untrusted PMML file into a small element tree. PMML needs no DTD, so the reader refuses
 * anything that could expand entities or reach outside the file (DOCTYPE, entity references other
 * than the five predefined ones, processing instructions) and bounds size, depth and element count,
 * all before the tree grows: a billion-laughs or XXE file is refused at its DOCTYPE, nothing expanded
 * or read. saxes is a strict (well-formedness checking) streaming parser that never processes a DTD.
 */
import { SaxesParser, type SaxesTagNS } from "saxes";

/** A PMML file that cannot be read, with a message for the person who uploaded it. */
export class PmmlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PmmlError";
  }
}

export interface XmlElement {
  /** Local name, e.g. `DataField` (PMML uses a default namespace, so the prefix carries nothing). */
  name: string;
  /** The element's namespace URI ("" when it has none). */
  namespace: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  /** The element's own text, concatenated and trimmed (e.g. an `<Array>`'s values). */
  text: string;
  /** 1-based line of the start tag, for messages. */
  line: number;
}

export interface XmlLimits {
  maxBytes: number;
  maxDepth: number;
  maxElements: number;
}

export const DEFAULT_XML_LIMITS: XmlLimits = {
  // The largest real PMML we test (a KNIME gradient-boosted ensemble) is 3 MB, 34,000 elements, 24 deep.
  maxBytes: 64 * 1024 * 1024,
  maxDepth: 256,
  maxElements: 2_000_000,
};

const PREDEFINED_ENTITIES = "&amp; &lt; &gt; &quot; &apos;";

/** Parses `input` (UTF-8 bytes or text) and returns the root element; throws PmmlError on any refusal. */
export function parsePmmlXml(input: Uint8Array | string, limits: Partial<XmlLimits> = {}): XmlElement {
  const { maxBytes, maxDepth, maxElements } = { ...DEFAULT_XML_LIMITS, ...limits };
  const byteLength = typeof input === "string" ? Buffer.byteLength(input, "utf8") : input.byteLength;
  if (byteLength > maxBytes) {
    throw new PmmlError(
      `the PMML file is ${byteLength.toLocaleString("en-US")} bytes, over the limit of ${maxBytes.toLocaleString("en-US")} bytes`,
    );
  }
  const text = typeof input === "string" ? input : decodeUtf8(input);

  const parser = new SaxesParser({ xmlns: true, position: true });
  const open: XmlElement[] = [];
  let root: XmlElement | undefined;
  let elementCount = 0;

  parser.on("doctype", () => {
    throw new PmmlError(
      `the PMML file declares a DOCTYPE (line ${lineOf(text, "<!DOCTYPE") ?? parser.line}); PMML needs none, and DTDs are refused because they can expand entities or read local files`,
    );
  });
  parser.on("processinginstruction", (pi) => {
    throw new PmmlError(
      `the PMML file holds a processing instruction <?${pi.target}?> (line ${parser.line}); only the XML declaration is allowed`,
    );
  });
  parser.on("opentag", (tag: SaxesTagNS) => {
    elementCount += 1;
    if (elementCount > maxElements) {
      throw new PmmlError(
        `the PMML file has more than ${maxElements.toLocaleString("en-US")} elements (line ${parser.line})`,
      );
    }
    if (open.length >= maxDepth) {
      throw new PmmlError(`the PMML file nests elements deeper than ${maxDepth} levels (line ${parser.line})`);
    }
    const attributes: Record<string, string> = {};
    for (const attribute of Object.values(tag.attributes)) {
      // Namespace declarations (xmlns, xmlns:xsi) are not data.
      if (attribute.prefix === "xmlns" || attribute.name === "xmlns") continue;
      attributes[attribute.local] = attribute.value;
    }
    const element: XmlElement = {
      name: tag.local,
      namespace: tag.uri,
      attributes,
      children: [],
      text: "",
      line: parser.line,
    };
    const parent = open.at(-1);
    if (parent) parent.children.push(element);
    else root = element;
    open.push(element);
  });
  parser.on("text", (chunk) => {
    const current = open.at(-1);
    if (current) current.text += chunk;
  });
  parser.on("cdata", (chunk) => {
    const current = open.at(-1);
    if (current) current.text += chunk;
  });
  parser.on("closetag", () => {
    const element = open.pop();
    if (element) element.text = element.text.trim();
  });
  parser.on("error", (error) => {
    throw new PmmlError(describeSyntaxError(error.message, parser.line, parser.column));
  });

  try {
    parser.write(text).close();
  } catch (error) {
    if (error instanceof PmmlError) throw error;
    throw new PmmlError(`the PMML file is not well-formed XML: ${String(error)}`);
  }
  if (!root) throw new PmmlError("the PMML file has no root element");
  return root;
}

/** 1-based line of the first occurrence of `needle` (saxes reports a DOCTYPE where it ends). */
function lineOf(text: string, needle: string): number | undefined {
  const index = text.indexOf(needle);
  if (index < 0) return undefined;
  let line = 1;
  for (let i = 0; i < index; i += 1) if (text.charCodeAt(i) === 10) line += 1;
  return line;
}

function decodeUtf8(bytes: Uint8Array): string {
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new PmmlError("the PMML file is not valid UTF-8 text");
  }
}

/** saxes prefixes its messages with `line:column: `; we say where in words and explain entities. */
function describeSyntaxError(saxesMessage: string, line: number, column: number): string {
  const reason = saxesMessage.replace(/^\d+:\d+:\s*/, "").replace(/\.$/, "");
  const where = `line ${line}, column ${column}`;
  if (reason === "undefined entity") {
    return `the PMML file refers to an entity that is not defined (${where}); only ${PREDEFINED_ENTITIES} and numeric character references are allowed`;
  }
  return `the PMML file is not well-formed XML: ${reason} (${where})`;
}

/** The first child element with this name, if any. */
export function childNamed(element: XmlElement, name: string): XmlElement | undefined {
  return element.children.find((child) => child.name === name);
}

/** All child elements with this name, in document order. */
export function childrenNamed(element: XmlElement, name: string): XmlElement[] {
  return element.children.filter((child) => child.name === name);
}
