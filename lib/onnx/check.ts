/**
 * Structural validation of an ONNX graph: every value a node reads exists before it is read, every
 * value has one producer, every graph output is produced. One pass with Sets, so models with tens of
 * thousands of nodes check in milliseconds. Operator semantics are onnxruntime's job.
 */
import { OnnxModelError } from "./errors";
import type { GraphProto, ModelProto, NodeProto } from "./proto";

/** The names visible in a graph: its own, then (for subgraphs) those of the enclosing graphs. */
type Scope = { names: Map<string, string>; outer: Scope | null };

function isVisible(scope: Scope | null, name: string): boolean {
  for (let current = scope; current; current = current.outer) {
    if (current.names.has(name)) return true;
  }
  return false;
}

const invalid = (detail: string) => new OnnxModelError(`the ONNX graph is invalid: ${detail}`);

const describeNode = (node: NodeProto, index: number) => `node ${index} (${node.opType || "no op_type"})`;

export function checkGraph(model: ModelProto): void {
  if (!model.graph) throw new OnnxModelError("not an ONNX model: the file has no graph");
  checkScope(model.graph, null, "");
}

/**
 * `where` locates a subgraph for messages (" in the 'body' subgraph of node 7 (Loop)"), empty for the
 * main graph. Values in a subgraph may shadow outer names, which onnxruntime accepts.
 */
function checkScope(graph: GraphProto, outer: Scope | null, where: string): void {
  // value name → who produced it, for duplicate-producer messages
  const names = new Map<string, string>();
  const scope: Scope = { names, outer };

  for (const input of graph.input) {
    if (input.name) names.set(input.name, "a graph input");
  }
  // IR < 4 lists initializers among the inputs too, so an initializer may repeat an input's name.
  for (const tensor of graph.initializer) {
    if (tensor.name && !names.has(tensor.name)) names.set(tensor.name, "an initializer");
  }
  for (const sparse of graph.sparseInitializer) {
    const name = sparse.values?.name;
    if (name && !names.has(name)) names.set(name, "an initializer");
  }

  graph.node.forEach((node, index) => {
    const nodeLabel = describeNode(node, index) + where;
    if (!node.opType) throw invalid(`node ${index}${where} has no op_type`);
    for (const input of node.input) {
      // An empty name is an omitted optional input.
      if (input && !isVisible(scope, input)) throw invalid(`${nodeLabel} has no input '${input}'`);
    }
    for (const attribute of node.attribute) {
      const subgraphs = [...(attribute.g ? [attribute.g] : []), ...attribute.graphs];
      for (const subgraph of subgraphs) {
        checkScope(subgraph, scope, ` in the '${attribute.name}' subgraph of ${nodeLabel}`);
      }
    }
    for (const output of node.output) {
      if (!output) continue;
      const existing = names.get(output);
      if (existing) throw invalid(`${nodeLabel} produces '${output}', which is already ${existing}`);
      names.set(output, `produced by ${describeNode(node, index)}`);
    }
  });

  const outputs = graph.output;
  if (outputs.length === 0) throw invalid(where ? `the subgraph${where} has no outputs` : "the graph has no outputs");
  for (const output of outputs) {
    if (!output.name) throw invalid(`a graph output${where} has no name`);
    // A subgraph may return an outer value as is.
    const produced = outer ? isVisible(scope, output.name) : names.has(output.name);
    if (!produced) throw invalid(`graph output '${output.name}'${where} is not produced by any node`);
  }
}
