import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parsePmmlXml, PmmlError } from "./xml";

const DOCTYPE_REFUSAL = /declares a DOCTYPE \(line 2\); PMML needs none, and DTDs are refused/;

/** Runs `parse` and returns how long it took and what it threw. */
function timedRefusal(parse: () => unknown): { error: unknown; milliseconds: number } {
  const started = performance.now();
  try {
    parse();
  } catch (error) {
    return { error, milliseconds: performance.now() - started };
  }
  throw new Error("expected the PMML to be refused");
}

function nested(depth: number): string {
  return `<PMML version="4.3">${"<Extension>".repeat(depth - 1)}${"</Extension>".repeat(depth - 1)}</PMML>`;
}

describe("parsePmmlXml refuses what could expand or reach outside the file", () => {
  const scratch = mkdtempSync(path.join(tmpdir(), "pmml-xxe-"));
  const secretFile = path.join(scratch, "secret.txt");
  const secret = "TOP-SECRET-CONTENTS-4711";
  writeFileSync(secretFile, secret);
  // A named pipe blocks whoever opens it for reading until a writer comes: if the parser tried to
  // read this "file", the test would hang and time out instead of finishing in milliseconds.
  const pipe = path.join(scratch, "blocking-pipe");
  execFileSync("mkfifo", [pipe]);
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it("refuses a billion-laughs file at its DOCTYPE, fast, without expanding anything", () => {
    const lol = ['<!ENTITY lol0 "lol">'];
    for (let level = 1; level <= 9; level += 1) {
      lol.push(`<!ENTITY lol${level} "${`&lol${level - 1};`.repeat(10)}">`);
    }
    const billionLaughs = `<?xml version="1.0"?>\n<!DOCTYPE PMML [\n${lol.join("\n")}\n]>\n<PMML version="4.3">&lol9;</PMML>`;
    const { error, milliseconds } = timedRefusal(() => parsePmmlXml(billionLaughs));
    expect(error).toBeInstanceOf(PmmlError);
    expect((error as Error).message).toMatch(DOCTYPE_REFUSAL);
    expect(milliseconds).toBeLessThan(100);
  });

  it.each([
    ["an internal entity that names a local file", (target: string) => `[<!ENTITY xxe SYSTEM "file://${target}">]`],
    ["an external DTD that is a local file", (target: string) => `SYSTEM "file://${target}"`],
    [
      "a parameter entity that names a local file",
      (target: string) => `[<!ENTITY % xxe SYSTEM "file://${target}"> %xxe;]`,
    ],
  ])("refuses XXE through %s, reading nothing", (_, doctypeBody) => {
    for (const target of [secretFile, pipe]) {
      const xxe = `<?xml version="1.0"?>\n<!DOCTYPE PMML ${doctypeBody(target)}>\n<PMML version="4.3"><Header description="&xxe;"/></PMML>`;
      const { error, milliseconds } = timedRefusal(() => parsePmmlXml(xxe));
      expect(error).toBeInstanceOf(PmmlError);
      expect((error as Error).message).toMatch(DOCTYPE_REFUSAL);
      expect((error as Error).message).not.toContain(secret);
      expect(milliseconds).toBeLessThan(100);
    }
  });

  it("refuses an entity reference without a DOCTYPE, naming where it is and what is allowed", () => {
    expect(() => parsePmmlXml('<PMML version="4.3">\n  <Header description="&nbsp;"/></PMML>')).toThrow(
      /refers to an entity that is not defined \(line 2, column \d+\); only &amp; &lt; &gt; &quot; &apos; and numeric character references are allowed/,
    );
  });

  it("decodes the five predefined entities and numeric character references", () => {
    const root = parsePmmlXml('<PMML version="4.3" a="&lt;&gt;&amp;&quot;&apos;">&#65;&#x42;</PMML>');
    expect(root.attributes.a).toBe("<>&\"'");
    expect(root.text).toBe("AB");
  });

  it("refuses processing instructions but accepts the XML declaration", () => {
    expect(() =>
      parsePmmlXml('<?xml version="1.0" encoding="UTF-8"?>\n<PMML version="4.3">\n<?xml-stylesheet href="x"?></PMML>'),
    ).toThrow(/processing instruction <\?xml-stylesheet\?> \(line 3\); only the XML declaration is allowed/);
    expect(parsePmmlXml('<?xml version="1.0" encoding="UTF-8"?>\n<PMML version="4.3"/>').name).toBe("PMML");
  });
});

describe("parsePmmlXml bounds size, depth and element count", () => {
  it("refuses nesting deeper than the limit, and accepts it at the limit", () => {
    expect(parsePmmlXml(nested(256)).name).toBe("PMML");
    expect(() => parsePmmlXml(nested(257))).toThrow("the PMML file nests elements deeper than 256 levels (line 1)");
    expect(() => parsePmmlXml(nested(5), { maxDepth: 4 })).toThrow(/deeper than 4 levels/);
  });

  it("refuses more elements than the limit", () => {
    const elements = (count: number) => `<PMML version="4.3">${"<Extension/>".repeat(count - 1)}</PMML>`;
    expect(parsePmmlXml(elements(10), { maxElements: 10 }).children).toHaveLength(9);
    expect(() => parsePmmlXml(elements(11), { maxElements: 10 })).toThrow("the PMML file has more than 10 elements");
  });

  it("refuses input over the byte limit before parsing it (bytes and text alike)", () => {
    // Malformed on purpose: the size refusal must come first, without reading the XML.
    const oversize = `<PMML version="4.3"><${"x".repeat(2000)}`;
    expect(() => parsePmmlXml(oversize, { maxBytes: 1024 })).toThrow(
      "the PMML file is 2,021 bytes, over the limit of 1,024 bytes",
    );
    expect(() => parsePmmlXml(Buffer.from(oversize), { maxBytes: 1024 })).toThrow(/over the limit of 1,024 bytes/);
  });
});

describe("parsePmmlXml reports bad XML with its line", () => {
  it.each([
    ["a mismatched close tag", '<PMML version="4.3">\n<Header>\n\n</DataDictionary></PMML>', /line 4/],
    ["an unclosed element", '<PMML version="4.3">\n<Header>\n', /line 3/],
    ["text after the root", '<PMML version="4.3"/>\n\nstray', /line 3/],
    ["an attribute without quotes", '<PMML version="4.3">\n<Header a=1/></PMML>', /line 2/],
    ["an unbound namespace prefix", '<PMML version="4.3">\n<x:Header/></PMML>', /line 2/],
  ])("%s", (_, xml, line) => {
    const { error } = timedRefusal(() => parsePmmlXml(xml));
    expect(error).toBeInstanceOf(PmmlError);
    expect((error as Error).message).toMatch(/^the PMML file is not well-formed XML: /);
    expect((error as Error).message).toMatch(line);
  });

  it("refuses bytes that are not UTF-8", () => {
    const latin1 = Buffer.concat([Buffer.from('<PMML version="4.3" a="'), Buffer.from([0xe9]), Buffer.from('"/>')]);
    expect(() => parsePmmlXml(latin1)).toThrow("the PMML file is not valid UTF-8 text");
  });

  it("refuses an empty file", () => {
    expect(() => parsePmmlXml("")).toThrow(PmmlError);
  });
});

describe("parsePmmlXml builds the element tree", () => {
  it("keeps local names, namespace, attributes (not xmlns declarations), trimmed text and CDATA, and lines", () => {
    const root = parsePmmlXml(
      '<?xml version="1.0"?>\n<PMML xmlns="http://www.dmg.org/PMML-4_3" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" version="4.3">\n' +
        '  <Array type="real" n="3">\n 1 2 <![CDATA[3]]>\n </Array>\n</PMML>',
    );
    expect(root).toMatchObject({ name: "PMML", namespace: "http://www.dmg.org/PMML-4_3", line: 2 });
    expect(root.attributes).toEqual({ version: "4.3" });
    expect(root.children).toEqual([
      {
        name: "Array",
        namespace: "http://www.dmg.org/PMML-4_3",
        attributes: { type: "real", n: "3" },
        children: [],
        text: "1 2 3",
        line: 3,
      },
    ]);
  });
});
