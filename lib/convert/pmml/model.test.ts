import { describe, expect, it } from "vitest";
import { assertConvertible, PmmlUnsupportedError, readPmml } from "./model";
import { PmmlError } from "./xml";

/** A hand-written logistic regression over one numeric and one categorical predictor. */
const LOGISTIC_REGRESSION = `<?xml version="1.0" encoding="UTF-8"?>
<PMML xmlns="http://www.dmg.org/PMML-4_4" version="4.4">
  <Header description="hand-written">
    <Application name="Modelyard tests" version="1.0"/>
  </Header>
  <DataDictionary numberOfFields="3">
    <DataField name="approved" optype="categorical" dataType="string">
      <Value value="no"/>
      <Value value="yes"/>
    </DataField>
    <DataField name="income" optype="continuous" dataType="double"/>
    <DataField name="region" optype="categorical" dataType="string">
      <Value value="north"/>
      <Value value="south"/>
      <Value value="?" property="missing"/>
      <Value value="mars" property="invalid"/>
    </DataField>
  </DataDictionary>
  <RegressionModel modelName="loan" functionName="classification" algorithmName="glm" normalizationMethod="logit">
    <MiningSchema>
      <MiningField name="approved" usageType="target"/>
      <MiningField name="income" missingValueReplacement="0" missingValueTreatment="asMean"/>
      <MiningField name="region" invalidValueTreatment="asMissing"/>
    </MiningSchema>
    <Output>
      <OutputField name="Predicted_approved" optype="categorical" dataType="string"/>
      <OutputField name="Probability_yes" optype="continuous" dataType="double" feature="probability" value="yes"/>
    </Output>
    <RegressionTable intercept="-1.5" targetCategory="yes">
      <NumericPredictor name="income" coefficient="0.002"/>
      <CategoricalPredictor name="region" value="south" coefficient="0.7"/>
    </RegressionTable>
    <RegressionTable intercept="0" targetCategory="no"/>
  </RegressionModel>
</PMML>`;

/** A PMML document around one model element, for the refusal cases. */
function pmmlWith(model: string, version = "4.3"): string {
  return `<PMML version="${version}"><DataDictionary><DataField name="x" optype="continuous" dataType="double"/></DataDictionary>${model}</PMML>`;
}

/** What `run` threw; fails the test when it threw nothing. */
function refusalOf(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error("expected a refusal");
}

const SCHEMA = '<MiningSchema><MiningField name="x"/></MiningSchema>';

describe("readPmml", () => {
  it("reads the header, DataDictionary, model, MiningSchema (with defaults) and Output fields", () => {
    const document = readPmml(LOGISTIC_REGRESSION);
    expect(document.version).toBe("4.4");
    expect(document.producer).toBe("Modelyard tests 1.0");
    expect(document.dataDictionary).toEqual([
      {
        name: "approved",
        optype: "categorical",
        dataType: "string",
        values: [
          { value: "no", property: "valid" },
          { value: "yes", property: "valid" },
        ],
      },
      { name: "income", optype: "continuous", dataType: "double", values: [] },
      {
        name: "region",
        optype: "categorical",
        dataType: "string",
        values: [
          { value: "north", property: "valid" },
          { value: "south", property: "valid" },
          { value: "?", property: "missing" },
          { value: "mars", property: "invalid" },
        ],
      },
    ]);
    const { model } = document;
    expect(model).toMatchObject({
      element: "RegressionModel",
      functionName: "classification",
      modelName: "loan",
      algorithmName: "glm",
      attributes: { normalizationMethod: "logit" },
    });
    expect(model.miningSchema).toEqual([
      { name: "approved", usageType: "target", invalidValueTreatment: "returnInvalid" },
      {
        name: "income",
        usageType: "active",
        missingValueReplacement: "0",
        missingValueTreatment: "asMean",
        invalidValueTreatment: "returnInvalid",
      },
      { name: "region", usageType: "active", invalidValueTreatment: "asMissing" },
    ]);
    expect(model.output).toEqual([
      { name: "Predicted_approved", feature: "predictedValue", optype: "categorical", dataType: "string" },
      { name: "Probability_yes", feature: "probability", optype: "continuous", dataType: "double", value: "yes" },
    ]);
    expect(model.node.children.filter((child) => child.name === "RegressionTable")).toHaveLength(2);
    expect(() => assertConvertible(model)).not.toThrow();
  });

  it("reads a MiningModel's segmentation and the models of its segments", () => {
    const { model } = readPmml(
      pmmlWith(`<MiningModel functionName="regression">${SCHEMA}<Segmentation multipleModelMethod="sum">
        <Segment id="1"><True/><TreeModel functionName="regression">${SCHEMA}<Node score="1"><True/></Node></TreeModel></Segment>
        <Segment id="2"><True/><RegressionModel functionName="regression">${SCHEMA}<RegressionTable intercept="2"/></RegressionModel></Segment>
      </Segmentation></MiningModel>`),
    );
    expect(model.segmentation?.multipleModelMethod).toBe("sum");
    expect(model.segmentation?.segments.map((segment) => segment.element)).toEqual(["TreeModel", "RegressionModel"]);
  });

  it("reads a PMML 3.x file (usageType predicted, no Application)", () => {
    const document = readPmml(
      pmmlWith(
        '<TreeModel functionName="regression"><MiningSchema><MiningField name="x" usageType="predicted"/></MiningSchema></TreeModel>',
        "3.2",
      ),
    );
    expect(document.version).toBe("3.2");
    expect(document.producer).toBeUndefined();
    expect(document.model.miningSchema[0]?.usageType).toBe("predicted");
  });

  it.each([
    [
      "a root that is not <PMML>",
      "<Model/>",
      "the file's root element is <Model>, not <PMML>; this is not a PMML file",
    ],
    ["no version", "<PMML><DataDictionary/></PMML>", "the <PMML> element has no version attribute"],
    ["no DataDictionary", '<PMML version="4.3"><TreeModel/></PMML>', "the PMML file has no <DataDictionary>"],
    ["no model", pmmlWith(""), "the PMML file has no model element (such as <TreeModel> or <RegressionModel>)"],
    ["an unknown element", pmmlWith("<MagicModel/>"), "PMML element <MagicModel> (line 1) is not a PMML model element"],
    [
      "no MiningSchema",
      pmmlWith('<TreeModel functionName="regression"/>'),
      "<TreeModel> (line 1) has no <MiningSchema>",
    ],
    [
      "no functionName",
      pmmlWith(`<TreeModel>${SCHEMA}</TreeModel>`),
      "<TreeModel> (line 1) has no functionName attribute",
    ],
    [
      "an unknown optype",
      pmmlWith(`<TreeModel functionName="regression">${SCHEMA}</TreeModel>`).replace("continuous", "fuzzy"),
      '<DataField> (line 1) has optype="fuzzy"; expected one of categorical, ordinal, continuous',
    ],
    [
      "an unknown usageType",
      pmmlWith(
        '<TreeModel functionName="regression"><MiningSchema><MiningField name="x" usageType="sometimes"/></MiningSchema></TreeModel>',
      ),
      /<MiningField> \(line 1\) has usageType="sometimes"; expected one of active, target/,
    ],
  ])("refuses a file with %s, saying what is wrong", (_, xml, message) => {
    const refusal = refusalOf(() => readPmml(xml));
    expect(refusal).toBeInstanceOf(PmmlError);
    if (typeof message === "string") expect((refusal as Error).message).toBe(message);
    else expect((refusal as Error).message).toMatch(message);
  });
});

describe("assertConvertible", () => {
  it("refuses an AssociationModel with the element named and the reason", () => {
    const { model } = readPmml(
      pmmlWith(`<AssociationModel functionName="associationRules">${SCHEMA}</AssociationModel>`),
    );
    expect(() => assertConvertible(model)).toThrow(
      new PmmlUnsupportedError("AssociationModel", "it has no ONNX equivalent"),
    );
    expect(() => assertConvertible(model)).toThrow(
      "PMML element <AssociationModel> is not supported: it has no ONNX equivalent",
    );
  });

  it("refuses a kind that is not converted, and an unsupported kind inside a MiningModel's segment", () => {
    const ruleSet = `<RuleSetModel functionName="classification">${SCHEMA}</RuleSetModel>`;
    expect(() => assertConvertible(readPmml(pmmlWith(ruleSet)).model)).toThrow(
      "PMML element <RuleSetModel> is not supported: Modelyard does not convert this kind of model to ONNX",
    );
    const ensemble = `<MiningModel functionName="classification">${SCHEMA}<Segmentation multipleModelMethod="majorityVote"><Segment><True/>${ruleSet}</Segment></Segmentation></MiningModel>`;
    const refusal = refusalOf(() => assertConvertible(readPmml(pmmlWith(ensemble)).model));
    expect(refusal).toBeInstanceOf(PmmlUnsupportedError);
    expect((refusal as PmmlUnsupportedError).element).toBe("RuleSetModel");
  });

  it("refuses a GeneralRegressionModel of a type that is not converted (Cox regression)", () => {
    const cox = `<GeneralRegressionModel functionName="regression" modelType="CoxRegression">${SCHEMA}</GeneralRegressionModel>`;
    expect(() => assertConvertible(readPmml(pmmlWith(cox)).model)).toThrow(
      /^PMML element <GeneralRegressionModel> is not supported: modelType "CoxRegression" is not converted/,
    );
    const glm = `<GeneralRegressionModel functionName="regression" modelType="generalLinear">${SCHEMA}</GeneralRegressionModel>`;
    expect(() => assertConvertible(readPmml(pmmlWith(glm)).model)).not.toThrow();
  });
});
