/**
 * The real PMML files of jpmml's integration tests (R/rattle, KNIME, RapidMiner, SAS; read from
 * TESTDATA_DIR): every one passes the safe XML reader, and what we read matches what the corpus's
 * MANIFEST.md lists for it (model element, function, segmentation, producer, PMML version). The
 * model's active fields are DataDictionary fields and columns of its input CSV, so it can be fed;
 * the kinds with no ONNX counterpart are refused by name.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { expect, it } from "vitest";
import { assertConvertible, PmmlUnsupportedError, readPmml } from "@/lib/convert/pmml";
import { corpus, describeConformance, TESTDATA_DIR } from "@/tests/support/conformance";

interface ManifestRow {
  /** Path under jpmml/, e.g. `knime/pmml/DecisionTreeIris.pmml`. */
  file: string;
  element: string;
  functionName: string;
  /** For a MiningModel: "sum", "majorityVote", ... and how many segments. */
  segmentation?: { method: string; count: number };
  producer: string;
  version: string;
  /** The input CSV under jpmml/. */
  inputCsv: string;
}

/** Model kinds in this corpus that the converter refuses (the reason is checked in the unit tests). */
const REFUSED = new Set(["AssociationModel", "RuleSetModel", "GeneralRegressionModel/CoxRegression"]);

/** The jpmml tables of MANIFEST.md: `| file | Element (function, ...) | producer, PMML x.y | input csv (rows) | ...`. */
function readManifest(): ManifestRow[] {
  const manifest = readFileSync(path.join(TESTDATA_DIR, "MANIFEST.md"), "utf8");
  const jpmmlSection = manifest.slice(
    manifest.indexOf("## jpmml/"),
    manifest.indexOf("\n## ", manifest.indexOf("## jpmml/") + 1),
  );
  const rows: ManifestRow[] = [];
  for (const line of jpmmlSection.split("\n")) {
    const cells = line.split("|").map((cell) => cell.trim());
    const [, file, model, producerAndVersion, input] = cells;
    if (!file?.endsWith(".pmml") || !model || !producerAndVersion || !input) continue;
    const modelMatch = /^(\w+) \((\w+)/.exec(model);
    const producerMatch = /^(.+), PMML ([\d.]+)$/.exec(producerAndVersion);
    const inputMatch = /^(\S+\.csv) \(\d+\)$/.exec(input);
    if (!modelMatch?.[1] || !modelMatch[2] || !producerMatch?.[1] || !producerMatch[2] || !inputMatch?.[1]) {
      throw new Error(`MANIFEST.md row not understood: ${line}`);
    }
    const segmentationMatch = /Segmentation (\w+) of (\d+) segments/.exec(model);
    rows.push({
      file,
      element: modelMatch[1],
      functionName: modelMatch[2],
      segmentation: segmentationMatch?.[1]
        ? { method: segmentationMatch[1], count: Number(segmentationMatch[2]) }
        : undefined,
      producer: producerMatch[1],
      version: producerMatch[2],
      inputCsv: inputMatch[1],
    });
  }
  return rows;
}

function pmmlFilesUnder(dir: string, relative = ""): string[] {
  return readdirSync(path.join(dir, relative), { withFileTypes: true }).flatMap((entry) => {
    const entryPath = path.join(relative, entry.name);
    if (entry.isDirectory()) return pmmlFilesUnder(dir, entryPath);
    return entry.name.endsWith(".pmml") ? [entryPath] : [];
  });
}

function csvHeader(file: string): string[] {
  const firstLine = readFileSync(file, "utf8").split(/\r?\n/, 1)[0] ?? "";
  return firstLine.split(",");
}

describeConformance("PMML reading of jpmml's test models", "jpmml", (dir) => {
  // The body is collected even when the suite is skipped, so read the corpus only when it is there.
  const manifest = corpus("jpmml").available ? readManifest() : [];

  it("MANIFEST.md lists every PMML file of the folder, and the folder holds every file it lists", () => {
    expect(manifest.length).toBeGreaterThanOrEqual(50);
    expect(pmmlFilesUnder(dir).sort()).toEqual(manifest.map((row) => row.file).sort());
  });

  it.each(manifest.map((row) => [row.file, row] as const))("%s", (_, row) => {
    const document = readPmml(readFileSync(path.join(dir, row.file)));
    const { model } = document;

    expect({
      element: model.element,
      functionName: model.functionName,
      producer: document.producer,
      version: document.version,
    }).toEqual({ element: row.element, functionName: row.functionName, producer: row.producer, version: row.version });
    if (row.segmentation) {
      expect(model.segmentation?.multipleModelMethod).toBe(row.segmentation.method);
      expect(model.segmentation?.segments).toHaveLength(row.segmentation.count);
    }

    const active = model.miningSchema.filter((field) => field.usageType === "active").map((field) => field.name);
    expect(active.length).toBeGreaterThan(0);
    const dictionary = new Set(document.dataDictionary.map((field) => field.name));
    const columns = new Set(csvHeader(path.join(dir, row.inputCsv)));
    expect(active.filter((name) => !dictionary.has(name))).toEqual([]);
    expect(active.filter((name) => !columns.has(name))).toEqual([]);

    const kind =
      model.element === "GeneralRegressionModel" ? `${model.element}/${model.attributes.modelType}` : model.element;
    if (REFUSED.has(kind)) {
      expect(() => assertConvertible(model)).toThrow(PmmlUnsupportedError);
      expect(() => assertConvertible(model)).toThrow(`PMML element <${model.element}> is not supported: `);
    } else {
      expect(() => assertConvertible(model)).not.toThrow();
    }
  });

  it("reads the rows the reference documents spell out", () => {
    const byFile = new Map(manifest.map((row) => [row.file, row]));
    // Independent of the parsing of the table above: values copied from MANIFEST.md by hand.
    expect(byFile.get("pmml/DecisionTreeIris.pmml")).toMatchObject({
      element: "TreeModel",
      functionName: "classification",
      producer: "Rattle/PMML 1.4",
      version: "4.3",
    });
    const decisionTreeIris = readPmml(readFileSync(path.join(dir, "pmml/DecisionTreeIris.pmml")));
    expect([decisionTreeIris.model.element, decisionTreeIris.producer, decisionTreeIris.version]).toEqual([
      "TreeModel",
      "Rattle/PMML 1.4",
      "4.3",
    ]);
    const gbt = readPmml(readFileSync(path.join(dir, "knime/pmml/GBTAuto.pmml")));
    expect([gbt.model.element, gbt.model.segmentation?.multipleModelMethod, gbt.producer, gbt.version]).toEqual([
      "MiningModel",
      "sum",
      "KNIME 3.5.1",
      "4.2",
    ]);
    const association = readPmml(readFileSync(path.join(dir, "pmml/AssociationRulesShopping.pmml")));
    expect(() => assertConvertible(association.model)).toThrow(
      "PMML element <AssociationModel> is not supported: it has no ONNX equivalent",
    );
    const rapidMinerTree = readPmml(readFileSync(path.join(dir, "rapidminer/pmml/DecisionTreeIris.pmml")));
    expect([rapidMinerTree.model.element, rapidMinerTree.producer, rapidMinerTree.version]).toEqual([
      "TreeModel",
      "RapidMiner 7.5.001",
      "3.2",
    ]);
  });
});
