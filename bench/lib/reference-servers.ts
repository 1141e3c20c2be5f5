import { randomUUID } from "node:crypto";
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import { InferenceSession, Tensor } from "onnxruntime-node";

/**
 * The two reference servers of the serving benchmark, each run as a process of its own on the same
 * HTTP stack as the replica (node:http, keep-alive):
 *
 * - `bare`: reads and JSON-parses the request body, runs no model and answers with a fixed body per
 *   URL path, the replica's own response to the same request (so it has the same size). The HTTP ceiling.
 * - `naive`: parses the KServe V2 request and runs its own `session.run` at once on the HTTP thread
 *   (no batching, no worker thread), then answers in V2's shape.
 *
 * Both answer GET /health. Configuration comes as one JSON argument (see ReferenceServerConfig).
 */

export type ReferenceServerConfig =
  | { mode: "bare"; port: number; responses: Record<string, string> }
  | { mode: "naive"; port: number; modelPath: string; modelName: string; intraOpThreads: number };

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function reply(res: ServerResponse, status: number, payload: string) {
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(payload) });
  res.end(payload);
}

type Handler = (req: IncomingMessage, body: Buffer) => Promise<string> | string;

function serve(port: number, handle: Handler) {
  const server = http.createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
    if (req.method === "GET" && req.url === "/health") return reply(res, 200, '{"ok":true}');
    readBody(req)
      .then((body) => handle(req, body))
      .then(
        (payload) => reply(res, 200, payload),
        (error: unknown) => reply(res, 500, JSON.stringify({ error: String(error) })),
      );
  });
  server.listen(port, "127.0.0.1");
  const stop = () => server.close(() => process.exit(0));
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

interface V2Body {
  inputs: { name: string; shape: number[]; data: number[] }[];
}

const config = JSON.parse(process.argv[2] ?? "{}") as ReferenceServerConfig;

if (config.mode === "bare") {
  const responses = new Map(Object.entries(config.responses));
  serve(config.port, (req, body) => {
    JSON.parse(body.toString("utf8"));
    const response = responses.get(req.url ?? "");
    if (response === undefined) throw new Error(`no response for ${req.url}`);
    return response;
  });
} else {
  const session = await InferenceSession.create(config.modelPath, {
    ...(config.intraOpThreads > 0 ? { intraOpNumThreads: config.intraOpThreads } : {}),
    interOpNumThreads: 1,
    graphOptimizationLevel: "all",
  });
  const inputName = session.inputNames[0]!;
  const outputName = session.outputNames[0]!;
  serve(config.port, async (_req, body) => {
    const request = JSON.parse(body.toString("utf8")) as V2Body;
    const input = request.inputs[0]!;
    const results = await session.run({
      [inputName]: new Tensor("float32", Float32Array.from(input.data), input.shape),
    });
    const output = results[outputName]!;
    return JSON.stringify({
      model_name: config.modelName,
      model_version: "1",
      id: randomUUID(),
      outputs: [
        { name: outputName, datatype: "FP32", shape: output.dims, data: Array.from(output.data as Float32Array) },
      ],
    });
  });
}
