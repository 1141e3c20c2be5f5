/**
 * What a PMML file says, read from its element tree: the header (PMML version, the application that
 * wrote it), the DataDictionary, and the model with its MiningSchema and Output fields. Converters
 * start from this; `assertConvertible` refuses the model kinds that have no ONNX counterpart.
 */
import { childNamed, childrenNamed, parsePmmlXml, PmmlError, type XmlElement, type XmlLimits } from "./xml";

/** Every model element PMML 3.x and 4.x define. */
export const PMML_MODEL_ELEMENTS = [
  "AnomalyDetectionModel",
  "AssociationModel",
  "BaselineModel",
  "BayesianNetworkModel",
  "ClusteringModel",
  "GaussianProcessModel",
  "GeneralRegressionModel",
  "MiningModel",
  "NaiveBayesModel",
  "NearestNeighborModel",
  "NeuralNetwork",
  "RegressionModel",
  "RuleSetModel",
  "Scorecard",
  "SequenceModel",
  "SupportVectorMachineModel",
  "TextModel",
  "TimeSeriesModel",
  "TreeModel",
] as const;
export type PmmlModelElement = (typeof PMML_MODEL_ELEMENTS)[number];

/** The model kinds that convert to ONNX (ai.onnx.ml and standard ops). */
export const CONVERTIBLE_MODEL_ELEMENTS: ReadonlySet<PmmlModelElement> = new Set([
  "RegressionModel",
  "GeneralRegressionModel",
  "TreeModel",
  "MiningModel",
  "NeuralNetwork",
  "SupportVectorMachineModel",
  "NaiveBayesModel",
  "ClusteringModel",
]);

/** Why a kind is refused, where there is more to say than "not converted". */
const REFUSAL_REASONS: Partial<Record<PmmlModelElement, string>> = {
  AssociationModel: "it has no ONNX equivalent",
  SequenceModel: "it has no ONNX equivalent",
  BaselineModel: "it has no ONNX equivalent",
  TimeSeriesModel: "it has no ONNX equivalent",
};
const DEFAULT_REFUSAL_REASON = "Modelyard does not convert this kind of model to ONNX";

/** GeneralRegressionModel types that convert (Cox regression and the rest are refused). */
const CONVERTIBLE_GENERAL_REGRESSION_TYPES = new Set([
  "regression",
  "generalLinear",
  "generalizedLinear",
  "multinomialLogistic",
  "ordinalMultinomial",
]);

/** PMML elements that may sit beside the model under <PMML> and are not models. */
const NON_MODEL_ELEMENTS = new Set([
  "Header",
  "MiningBuildTask",
  "DataDictionary",
  "TransformationDictionary",
  "Extension",
]);

export type Optype = "categorical" | "ordinal" | "continuous";
export type ValueProperty = "valid" | "invalid" | "missing";
/** PMML 3.x says "predicted" where 4.x says "target"; both are kept as written. */
export type UsageType =
  "active" | "target" | "predicted" | "supplementary" | "group" | "order" | "frequencyWeight" | "analysisWeight";
export type InvalidValueTreatment = "returnInvalid" | "asIs" | "asMissing" | "asValue";

export interface DataFieldValue {
  value: string;
  property: ValueProperty;
}

export interface DataField {
  name: string;
  optype: Optype;
  dataType: string;
  values: DataFieldValue[];
}

export interface MiningField {
  name: string;
  usageType: UsageType;
  /** Field's optype when the model overrides the DataDictionary's. */
  optype?: Optype;
  missingValueReplacement?: string;
  missingValueTreatment?: string;
  invalidValueTreatment: InvalidValueTreatment;
  invalidValueReplacement?: string;
}

export interface OutputField {
  name: string;
  /** What the field reports: predictedValue (the default), probability, entityId, affinity, ... */
  feature: string;
  optype?: Optype;
  dataType?: string;
  /** For per-class features such as probability: the class it is about. */
  value?: string;
  targetField?: string;
}

export interface PmmlModel {
  element: PmmlModelElement;
  functionName: string;
  modelName?: string;
  algorithmName?: string;
  /** All the model element's attributes as written (normalizationMethod, modelType, ...). */
  attributes: Readonly<Record<string, string>>;
  miningSchema: MiningField[];
  output: OutputField[];
  /** For a MiningModel: its Segmentation's method and segment models, in order. */
  segmentation?: { multipleModelMethod: string; segments: PmmlModel[] };
  /** The model element itself, for the converter of its kind. */
  node: XmlElement;
}

export interface PmmlDocument {
  /** The `version` attribute of <PMML>, e.g. "4.3". */
  version: string;
  /** "Application name version" from the Header, e.g. "Rattle/PMML 1.4"; undefined when absent. */
  producer?: string;
  dataDictionary: DataField[];
  model: PmmlModel;
  root: XmlElement;
}

/** A well-formed PMML file whose model cannot be converted; the message names the element and why. */
export class PmmlUnsupportedError extends PmmlError {
  readonly element: string;

  constructor(element: string, reason: string) {
    super(`PMML element <${element}> is not supported: ${reason}`);
    this.name = "PmmlUnsupportedError";
    this.element = element;
  }
}

/** Parses and reads a PMML file (see parsePmmlXml for the refusals of unsafe XML). */
export function readPmml(input: Uint8Array | string, limits?: Partial<XmlLimits>): PmmlDocument {
  return readPmmlDocument(parsePmmlXml(input, limits));
}

export function readPmmlDocument(root: XmlElement): PmmlDocument {
  if (root.name !== "PMML") {
    throw new PmmlError(`the file's root element is <${root.name}>, not <PMML>; this is not a PMML file`);
  }
  const version = root.attributes.version;
  if (!version) throw new PmmlError("the <PMML> element has no version attribute");

  const dataDictionaryNode = childNamed(root, "DataDictionary");
  if (!dataDictionaryNode) throw new PmmlError("the PMML file has no <DataDictionary>");
  const modelNode = root.children.find((child) => !NON_MODEL_ELEMENTS.has(child.name));
  if (!modelNode) throw new PmmlError("the PMML file has no model element (such as <TreeModel> or <RegressionModel>)");

  return {
    version,
    producer: readProducer(childNamed(root, "Header")),
    dataDictionary: childrenNamed(dataDictionaryNode, "DataField").map(readDataField),
    model: readModel(modelNode),
    root,
  };
}

/** Throws PmmlUnsupportedError when the model, or any segment of it, is of a kind that is not converted. */
export function assertConvertible(model: PmmlModel): void {
  if (!CONVERTIBLE_MODEL_ELEMENTS.has(model.element)) {
    throw new PmmlUnsupportedError(model.element, REFUSAL_REASONS[model.element] ?? DEFAULT_REFUSAL_REASON);
  }
  if (model.element === "GeneralRegressionModel") {
    const modelType = model.attributes.modelType ?? "";
    if (!CONVERTIBLE_GENERAL_REGRESSION_TYPES.has(modelType)) {
      throw new PmmlUnsupportedError(
        model.element,
        `modelType "${modelType}" is not converted (supported: ${[...CONVERTIBLE_GENERAL_REGRESSION_TYPES].join(", ")})`,
      );
    }
  }
  for (const segment of model.segmentation?.segments ?? []) assertConvertible(segment);
}

function readProducer(header: XmlElement | undefined): string | undefined {
  const application = header && childNamed(header, "Application");
  const name = application?.attributes.name;
  if (!name) return undefined;
  const version = application.attributes.version;
  return version ? `${name} ${version}` : name;
}

function readDataField(node: XmlElement): DataField {
  const name = requiredAttribute(node, "name");
  return {
    name,
    optype: readOptype(node, requiredAttribute(node, "optype")),
    dataType: requiredAttribute(node, "dataType"),
    values: childrenNamed(node, "Value").map((value) => ({
      value: requiredAttribute(value, "value"),
      property: oneOf(value, "property", ["valid", "invalid", "missing"] as const, "valid"),
    })),
  };
}

function readModel(node: XmlElement): PmmlModel {
  const element = PMML_MODEL_ELEMENTS.find((known) => known === node.name);
  if (!element) {
    throw new PmmlError(`PMML element <${node.name}> (line ${node.line}) is not a PMML model element`);
  }
  const miningSchema = childNamed(node, "MiningSchema");
  if (!miningSchema) throw new PmmlError(`<${element}> (line ${node.line}) has no <MiningSchema>`);
  const output = childNamed(node, "Output");
  const segmentation = element === "MiningModel" ? childNamed(node, "Segmentation") : undefined;
  return {
    element,
    functionName: requiredAttribute(node, "functionName"),
    modelName: node.attributes.modelName,
    algorithmName: node.attributes.algorithmName,
    attributes: node.attributes,
    miningSchema: childrenNamed(miningSchema, "MiningField").map(readMiningField),
    output: output ? childrenNamed(output, "OutputField").map(readOutputField) : [],
    segmentation: segmentation && {
      multipleModelMethod: requiredAttribute(segmentation, "multipleModelMethod"),
      segments: childrenNamed(segmentation, "Segment").map(readSegmentModel),
    },
    node,
  };
}

function readSegmentModel(segment: XmlElement): PmmlModel {
  // A Segment holds a predicate (True, SimplePredicate, ...) and then its model.
  const modelNode = segment.children.find((child) => PMML_MODEL_ELEMENTS.some((known) => known === child.name));
  if (!modelNode) throw new PmmlError(`<Segment> (line ${segment.line}) has no model element`);
  return readModel(modelNode);
}

function readMiningField(node: XmlElement): MiningField {
  const optype = node.attributes.optype;
  return {
    name: requiredAttribute(node, "name"),
    usageType: oneOf(
      node,
      "usageType",
      [
        "active",
        "target",
        "predicted",
        "supplementary",
        "group",
        "order",
        "frequencyWeight",
        "analysisWeight",
      ] as const,
      "active",
    ),
    optype: optype === undefined ? undefined : readOptype(node, optype),
    missingValueReplacement: node.attributes.missingValueReplacement,
    missingValueTreatment: node.attributes.missingValueTreatment,
    invalidValueTreatment: oneOf(
      node,
      "invalidValueTreatment",
      ["returnInvalid", "asIs", "asMissing", "asValue"] as const,
      "returnInvalid",
    ),
    invalidValueReplacement: node.attributes.invalidValueReplacement,
  };
}

function readOutputField(node: XmlElement): OutputField {
  const optype = node.attributes.optype;
  return {
    name: requiredAttribute(node, "name"),
    feature: node.attributes.feature ?? "predictedValue",
    optype: optype === undefined ? undefined : readOptype(node, optype),
    dataType: node.attributes.dataType,
    value: node.attributes.value,
    targetField: node.attributes.targetField,
  };
}

function readOptype(node: XmlElement, value: string): Optype {
  return checkOneOf(node, "optype", value, ["categorical", "ordinal", "continuous"] as const);
}

function requiredAttribute(node: XmlElement, name: string): string {
  const value = node.attributes[name];
  if (value === undefined) {
    throw new PmmlError(`<${node.name}> (line ${node.line}) has no ${name} attribute`);
  }
  return value;
}

function oneOf<T extends string>(node: XmlElement, name: string, allowed: readonly T[], fallback: T): T {
  const value = node.attributes[name];
  return value === undefined ? fallback : checkOneOf(node, name, value, allowed);
}

function checkOneOf<T extends string>(node: XmlElement, name: string, value: string, allowed: readonly T[]): T {
  const match = allowed.find((candidate) => candidate === value);
  if (match === undefined) {
    throw new PmmlError(
      `<${node.name}> (line ${node.line}) has ${name}="${value}"; expected one of ${allowed.join(", ")}`,
    );
  }
  return match;
}
