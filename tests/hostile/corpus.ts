/**
 * The hostile upload corpus: files a stranger could send as a "model", built from bytes by the tests
 * (no third-party files). Each case says what the platform must answer: refuse the upload outright, or
 * accept it and have validation fail it with a reason a person can act on.
 */
import { createHash } from "node:crypto";
import { deflateRawSync, constants as zlibConstants } from "node:zlib";
import { mulberry32 } from "@/lib/onnx";
import {
  addInitializerModel,
  DataType,
  floatBytes,
  graph,
  graphAttribute,
  identityModel,
  model,
  node,
  tensor,
  tensorAttribute,
  valueInfo,
} from "./onnx-bytes";
import { bytesField, concatBytes, varint, varintField } from "./protobuf-bytes";

export type CorpusExpectation =
  /** The upload is answered with this status and message, and leaves no row and no file. */
  | { outcome: "refused"; status: number; message: RegExp }
  /** Accepted (202), then validation marks the version FAILED with this reason. */
  | { outcome: "failed"; message: RegExp; format?: string }
  /**
   * FAILED with this reason, or READY only if what the platform stores and serves is harmless: once
   * deployed, its output `leak` must not carry the sibling dataset's bytes (a platform that re-encodes
   * what it checked serves the inline copy).
   */
  | { outcome: "failedOrHarmless"; message: RegExp; leakOutput: string; secret: Uint8Array }
  /** Accepted and validated READY: a hostile wrapper (name, encoding) around a good model. */
  | { outcome: "ready" }
  /** Costly but not malicious: READY, or FAILED with this reason; either way promptly, and nothing dies. */
  | { outcome: "settles"; failedMessage: RegExp };

export interface CorpusCase {
  name: string;
  bytes: Uint8Array;
  /** X-Filename as sent (percent-encoded by the upload helper). */
  filename: string;
  /** Extra headers, sent as they are. */
  headers?: Record<string, string>;
  /** Sent as multipart/form-data with this boundary instead of a raw body. */
  multipartBoundary?: string;
  expect: CorpusExpectation;
}

export interface CorpusContext {
  /** A valid ONNX model (the digits fixture). */
  goodModel: Uint8Array;
  /** A path that must still not exist after the corpus: pickles, archives and file names aim at it. */
  markerPath: string;
}

export interface Corpus {
  cases: CorpusCase[];
  /**
   * A CSV the tests upload as a dataset before the corpus: the artifact the external-data cases try to
   * read. Its address shares its shard folder with the repeated-field model's, so that model reaches it
   * by bare file name, without climbing out of its folder.
   */
  siblingDataset: { bytes: Uint8Array; filename: string; sha256: string };
}

const ascii = (text: string) => new TextEncoder().encode(text);

// ---------------------------------------------------------------------------------------------------
// Archives

/** CRC-32 (IEEE), for the small archive members; the bomb's member declares 0 (see zipBomb). */
function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return (crc ^ 0xffffffff) >>> 0;
}

interface ZipMember {
  name: string;
  /** The member's data as stored (deflated when method is 8). */
  stored: Uint8Array;
  method: 0 | 8;
  crc: number;
  uncompressedSize: number;
}

function zipArchive(members: readonly ZipMember[]): Uint8Array {
  const locals: Uint8Array[] = [];
  const centrals: Uint8Array[] = [];
  let offset = 0;
  for (const member of members) {
    const name = ascii(member.name);
    const local = new DataView(new ArrayBuffer(30));
    local.setUint32(0, 0x04034b50, true);
    local.setUint16(4, 20, true);
    local.setUint16(8, member.method, true);
    local.setUint32(14, member.crc, true);
    local.setUint32(18, member.stored.length, true);
    local.setUint32(22, member.uncompressedSize, true);
    local.setUint16(26, name.length, true);
    const localBytes = concatBytes([new Uint8Array(local.buffer), name, member.stored]);

    const central = new DataView(new ArrayBuffer(46));
    central.setUint32(0, 0x02014b50, true);
    central.setUint16(4, 20, true);
    central.setUint16(6, 20, true);
    central.setUint16(10, member.method, true);
    central.setUint32(16, member.crc, true);
    central.setUint32(20, member.stored.length, true);
    central.setUint32(24, member.uncompressedSize, true);
    central.setUint16(28, name.length, true);
    central.setUint32(42, offset, true);
    centrals.push(concatBytes([new Uint8Array(central.buffer), name]));
    locals.push(localBytes);
    offset += localBytes.length;
  }
  const directory = concatBytes(centrals);
  const end = new DataView(new ArrayBuffer(22));
  end.setUint32(0, 0x06054b50, true);
  end.setUint16(8, members.length, true);
  end.setUint16(10, members.length, true);
  end.setUint32(12, directory.length, true);
  end.setUint32(16, offset, true);
  return concatBytes([...locals, directory, new Uint8Array(end.buffer)]);
}

export const BOMB_INFLATED_BYTES = 2 * 1024 ** 3;
const MEBIBYTE = 1024 * 1024;

/**
 * A raw deflate stream of BOMB_INFLATED_BYTES zeros, about 2 MB: one sync-flushed block of 1 MiB of
 * zeros (a literal, then matches at distance 1, so it decodes the same after any history) repeated,
 * then a final empty block.
 */
export function deflateBomb(): Uint8Array {
  const block = deflateRawSync(Buffer.alloc(MEBIBYTE), { level: 9, finishFlush: zlibConstants.Z_SYNC_FLUSH });
  const blocks = Array.from({ length: BOMB_INFLATED_BYTES / MEBIBYTE }, () => block);
  return concatBytes([...blocks, deflateRawSync(Buffer.alloc(0))]);
}

/** A ZIP whose one member, model.onnx, inflates to 2 GiB. Its CRC is not computed (0): an extractor checks it only after inflating, too late. */
function zipBomb(deflated: Uint8Array): Uint8Array {
  return zipArchive([
    { name: "model.onnx", stored: deflated, method: 8, crc: 0, uncompressedSize: BOMB_INFLATED_BYTES - 1 },
  ]);
}

function gzipBomb(deflated: Uint8Array): Uint8Array {
  const header = Uint8Array.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]);
  const trailer = new DataView(new ArrayBuffer(8));
  trailer.setUint32(4, BOMB_INFLATED_BYTES % 2 ** 32, true);
  return concatBytes([header, deflated, new Uint8Array(trailer.buffer)]);
}

/** Members named to escape the extraction folder (zip-slip): relative, absolute and Windows-style. */
function zipSlip(markerPath: string): Uint8Array {
  const payload = ascii("written outside the extraction folder\n");
  const member = (name: string): ZipMember => ({
    name,
    stored: payload,
    method: 0,
    crc: crc32(payload),
    uncompressedSize: payload.length,
  });
  return zipArchive([
    member(`../../../../../../../..${markerPath}`),
    member(markerPath),
    member("..\\..\\..\\..\\windows\\system32\\evil.dll"),
    member("model.onnx"),
  ]);
}

// ---------------------------------------------------------------------------------------------------
// Python pickles that would run `touch <marker>` when loaded: GLOBAL posix.system, then REDUCE.

function pickleProtocol0(command: string): Uint8Array {
  return ascii(`cposix\nsystem\n(V${command}\ntR.`);
}

function pickleProtocol2(command: string): Uint8Array {
  const argument = ascii(command);
  const length = new DataView(new ArrayBuffer(4));
  length.setUint32(0, argument.length, true);
  return concatBytes([
    Uint8Array.from([0x80, 0x02]), // PROTO 2
    ascii("cposix\nsystem\n"), // GLOBAL
    Uint8Array.from([0x71, 0x00]), // BINPUT 0
    Uint8Array.from([0x58]), // BINUNICODE
    new Uint8Array(length.buffer),
    argument,
    Uint8Array.from([0x71, 0x01, 0x85, 0x71, 0x02, 0x52, 0x71, 0x03, 0x2e]), // BINPUT, TUPLE1, BINPUT, REDUCE, BINPUT, STOP
  ]);
}

function pickleProtocol4(command: string): Uint8Array {
  const shortUnicode = (text: string) => concatBytes([Uint8Array.from([0x8c, ascii(text).length]), ascii(text)]);
  const MEMOIZE = Uint8Array.from([0x94]);
  const body = concatBytes([
    shortUnicode("posix"),
    MEMOIZE,
    shortUnicode("system"),
    MEMOIZE,
    Uint8Array.from([0x93]), // STACK_GLOBAL
    MEMOIZE,
    shortUnicode(command),
    MEMOIZE,
    Uint8Array.from([0x85, 0x94, 0x52, 0x94, 0x2e]), // TUPLE1, MEMOIZE, REDUCE, MEMOIZE, STOP
  ]);
  const frame = new DataView(new ArrayBuffer(8));
  frame.setBigUint64(0, BigInt(body.length), true);
  return concatBytes([Uint8Array.from([0x80, 0x04, 0x95]), new Uint8Array(frame.buffer), body]);
}

// ---------------------------------------------------------------------------------------------------
// HDF5 and XML

const HDF5_SIGNATURE = Uint8Array.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);

function randomBytes(length: number, seed: number): Uint8Array {
  const random = mulberry32(seed);
  return Uint8Array.from({ length }, () => Math.floor(random() * 256));
}

function billionLaughs(): Uint8Array {
  const entities = ['<!ENTITY lol "lol">'];
  for (let level = 1; level <= 9; level++) {
    entities.push(`<!ENTITY lol${level} "${`&lol${level === 1 ? "" : level - 1};`.repeat(10)}">`);
  }
  return ascii(
    `<?xml version="1.0"?>\n<!DOCTYPE PMML [\n${entities.join("\n")}\n]>\n` +
      `<PMML version="4.4" xmlns="http://www.dmg.org/PMML-4_4"><Header description="&lol9;"/></PMML>\n`,
  );
}

function xxe(): Uint8Array {
  return ascii(
    `<?xml version="1.0"?>\n<!DOCTYPE PMML [<!ENTITY xxe SYSTEM "file:///etc/passwd">` +
      `<!ENTITY % remote SYSTEM "http://127.0.0.1:9/evil.dtd">%remote;]>\n` +
      `<PMML version="4.4" xmlns="http://www.dmg.org/PMML-4_4"><Header description="&xxe;"/></PMML>\n`,
  );
}

// ---------------------------------------------------------------------------------------------------
// ONNX

const WEIGHT_VALUES = 4;

/** y = x + weight, the weight's 16 bytes read from `location` instead of the file. */
function externalWeightModel(location: string): Uint8Array {
  return addInitializerModel(
    tensor({
      name: "weight",
      dims: [1, WEIGHT_VALUES],
      dataType: DataType.FLOAT,
      externalData: { location, offset: 0, length: WEIGHT_VALUES * 4 },
    }),
    WEIGHT_VALUES,
  );
}

/**
 * A Constant whose `value` tensor appears twice. A decoder that keeps the last copy sees a harmless
 * inline scalar; one that merges copies (protobuf's rule, and onnxruntime's) sees dims [n] with its data
 * in the sibling artifact, and the model's output would be that artifact's bytes.
 */
function repeatedFieldModel(location: string, values: number): Uint8Array {
  const external = tensor({
    dims: [values],
    dataType: DataType.FLOAT,
    externalData: { location, offset: 0, length: values * 4 },
  });
  const inline = tensor({ dataType: DataType.FLOAT, rawData: floatBytes([0]) });
  return model({
    graph: graph({
      nodes: [
        node({ opType: "Identity", inputs: ["x"], outputs: ["x_out"] }),
        node({ opType: "Constant", outputs: ["leak"], attributes: [tensorAttribute("value", external, inline)] }),
      ],
      inputs: [valueInfo("x", DataType.FLOAT, ["batch", 1])],
      outputs: [valueInfo("x_out", DataType.FLOAT, ["batch", 1]), valueInfo("leak", DataType.FLOAT, [values])],
    }),
  });
}

/** An initializer passed straight to the output, declaring `dims` but carrying only 16 bytes. */
function initializerBomb(dims: readonly (number | bigint)[]): Uint8Array {
  return model({
    graph: graph({
      nodes: [node({ opType: "Identity", inputs: ["big_weight"], outputs: ["y"] })],
      initializers: [tensor({ name: "big_weight", dims, dataType: DataType.FLOAT, rawData: floatBytes([1, 2, 3, 4]) })],
      inputs: [],
      outputs: [valueInfo("y", DataType.FLOAT, dims)],
    }),
  });
}

function unknownOpModel(opType: string, domain?: string): Uint8Array {
  return model({
    graph: graph({
      nodes: [node({ opType, domain, inputs: ["x"], outputs: ["y"] })],
      inputs: [valueInfo("x", DataType.FLOAT, ["batch", 4])],
      outputs: [valueInfo("y", DataType.FLOAT, ["batch", 4])],
    }),
    opsets: domain
      ? [
          { domain: "", version: 17 },
          { domain, version: 1 },
        ]
      : undefined,
  });
}

export const NESTING_DEPTH = 1000;

/** If inside the then-branch of If, NESTING_DEPTH deep; every branch returns x. */
function nestedIfModel(depth: number): Uint8Array {
  const branch = (level: number): Uint8Array => {
    const output = `v${level}`;
    const nodes =
      level === 0
        ? [node({ opType: "Identity", inputs: ["x"], outputs: [output] })]
        : [
            node({
              opType: "If",
              inputs: ["cond"],
              outputs: [output],
              attributes: [
                graphAttribute("then_branch", branch(level - 1)),
                graphAttribute(
                  "else_branch",
                  graph({
                    nodes: [node({ opType: "Identity", inputs: ["x"], outputs: [`e${level}`] })],
                    inputs: [],
                    outputs: [valueInfo(`e${level}`, DataType.FLOAT, [1])],
                  }),
                ),
              ],
            }),
          ];
    return graph({ name: `level${level}`, nodes, inputs: [], outputs: [valueInfo(output, DataType.FLOAT, [1])] });
  };
  const top = branch(depth);
  // The outermost level is the main graph: it declares the inputs the branches read.
  return model({
    graph: concatBytes([
      top,
      bytesField(11, valueInfo("cond", DataType.BOOL, [])),
      bytesField(11, valueInfo("x", DataType.FLOAT, [1])),
    ]),
  });
}

/** A Loop whose body holds a Loop, NESTING_DEPTH deep; each body passes cond through and scans x. */
function nestedLoopModel(depth: number): Uint8Array {
  const loopNode = (level: number, outputs: string[]): Uint8Array =>
    node({
      opType: "Loop",
      inputs: ["trip_count", "cond"],
      outputs,
      attributes: [graphAttribute("body", body(level))],
    });
  const body = (level: number): Uint8Array =>
    graph({
      name: `body${level}`,
      nodes: [
        node({ opType: "Identity", inputs: [`cond_in${level}`], outputs: [`cond_out${level}`] }),
        node({ opType: "Identity", inputs: ["x"], outputs: [`scan${level}`] }),
        ...(level > 1 ? [loopNode(level - 1, [`inner${level}`])] : []),
      ],
      inputs: [valueInfo(`iteration${level}`, DataType.INT64, []), valueInfo(`cond_in${level}`, DataType.BOOL, [])],
      outputs: [valueInfo(`cond_out${level}`, DataType.BOOL, []), valueInfo(`scan${level}`, DataType.FLOAT, [1])],
    });
  return model({
    graph: graph({
      nodes: [loopNode(depth, ["scanned"])],
      inputs: [
        valueInfo("trip_count", DataType.INT64, []),
        valueInfo("cond", DataType.BOOL, []),
        valueInfo("x", DataType.FLOAT, [1]),
      ],
      outputs: [valueInfo("scanned", DataType.FLOAT, ["iterations", 1])],
    }),
  });
}

export const LARGE_GRAPH_NODES = 100_000;

/** x → Identity → Identity → … → y. */
function longChainModel(nodes: number): Uint8Array {
  const chain = Array.from({ length: nodes }, (_, index) =>
    node({
      opType: "Identity",
      inputs: [index === 0 ? "x" : `t${index}`],
      outputs: [index === nodes - 1 ? "y" : `t${index + 1}`],
    }),
  );
  return model({
    graph: graph({
      nodes: chain,
      inputs: [valueInfo("x", DataType.FLOAT, ["batch", 4])],
      outputs: [valueInfo("y", DataType.FLOAT, ["batch", 4])],
    }),
  });
}

/** A ModelProto whose graph field claims 2^31 bytes: a length that runs far past the end of the file. */
function lyingLengthModel(): Uint8Array {
  return concatBytes([varintField(1, 8), Uint8Array.from([7 * 8 + 2]), varint(2 ** 31), ascii("graph")]);
}

function multipartBody(boundary: string, bytes: Uint8Array, description = "from a browser"): Uint8Array {
  return concatBytes([
    ascii(`--${boundary}\r\nContent-Disposition: form-data; name="description"\r\n\r\n${description}\r\n`),
    ascii(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="digits.onnx"\r\n`),
    ascii("Content-Type: application/octet-stream\r\n\r\n"),
    bytes,
    ascii(`\r\n--${boundary}--\r\n`),
  ]);
}

// ---------------------------------------------------------------------------------------------------

const NOT_ONNX = (label: string) => new RegExp(`^not an ONNX model: the file is ${label}`);
const EXTERNAL_DATA = /external data/;
/** What the size and shape bombs must be told: the limit they exceed. */
const OVER_A_LIMIT = /limit|too large|exceeds/i;

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");
/** Values the leaking Constant would read from its sibling: 64 bytes of the CSV. */
const LEAKED_VALUES = 16;

/**
 * Finds a dataset and a repeated-field model pointing at it whose addresses share their first byte
 * (the store's shard folder): about 256 tries of a numbered CSV.
 */
function sameShardLeak(): { dataset: Uint8Array; datasetSha256: string; model: Uint8Array } {
  const rows = Array.from({ length: 20 }, (_, index) => `${index},${index % 2}`).join("\n");
  for (let nonce = 0; nonce < 100_000; nonce++) {
    const dataset = ascii(`feature,label\n${rows}\n${nonce},0\n`);
    const datasetSha256 = sha256(dataset);
    const leakingModel = repeatedFieldModel(datasetSha256, LEAKED_VALUES);
    if (sha256(leakingModel).slice(0, 2) === datasetSha256.slice(0, 2)) {
      return { dataset, datasetSha256, model: leakingModel };
    }
  }
  throw new Error("no dataset shares a shard folder with its repeated-field model");
}

export function buildCorpus(context: CorpusContext): Corpus {
  const { goodModel, markerPath } = context;
  const touchMarker = `touch ${markerPath}`;
  const leak = sameShardLeak();
  const climbingToSibling = `../${leak.datasetSha256.slice(0, 2)}/${leak.datasetSha256}`;
  const deflated = deflateBomb();
  const failed = (message: RegExp, format?: string): CorpusExpectation => ({ outcome: "failed", message, format });
  const onnx = (name: string, bytes: Uint8Array, message: RegExp): CorpusCase => ({
    name,
    bytes,
    filename: `${name.replace(/\W+/g, "-")}.onnx`,
    expect: failed(message, "ONNX"),
  });
  const boundary = "----WebKitFormBoundaryQx7AbCdEfGhZ09";
  const repeatedFieldExpectation: CorpusExpectation = {
    outcome: "failedOrHarmless",
    message: EXTERNAL_DATA,
    leakOutput: "leak",
    secret: leak.dataset.subarray(0, LEAKED_VALUES * 4),
  };

  const cases: CorpusCase[] = [
    // Refused at the door: nothing stored.
    { name: "an empty file", bytes: new Uint8Array(), filename: "empty.onnx", expect: refused(/the file is empty/) },
    {
      name: "a description with NUL (X-Description)",
      bytes: goodModel,
      filename: "digits.onnx",
      headers: { "x-description": "before%00after" },
      expect: refused(/description/i),
    },
    {
      name: "a multipart description with NUL",
      bytes: multipartBody(boundary.toLowerCase(), goodModel, "before\u0000after"),
      filename: "digits.onnx",
      multipartBoundary: boundary.toLowerCase(),
      expect: refused(/description/i),
    },
    {
      name: "tags with NUL (X-Tags)",
      bytes: goodModel,
      filename: "digits.onnx",
      headers: { "x-tags": "good,b%00d" },
      expect: refused(/tag/i),
    },

    // Not a model at all.
    { name: "one newline", bytes: ascii("\n"), filename: "model.onnx", expect: failed(NOT_ONNX("a text file")) },
    {
      name: "4 KiB of random bytes",
      bytes: randomBytes(4096, 20261204),
      filename: "model.onnx",
      expect: failed(NOT_ONNX("an unrecognised binary file")),
    },
    {
      name: "a ZIP bomb (2 GiB of zeros in 2 MB)",
      bytes: zipBomb(deflated),
      filename: "model.zip",
      expect: failed(NOT_ONNX("a ZIP archive")),
    },
    {
      name: "a gzip bomb (2 GiB of zeros in 2 MB)",
      bytes: gzipBomb(deflated),
      filename: "model.onnx.gz",
      expect: failed(NOT_ONNX("a gzip archive")),
    },
    {
      name: "a zip-slip archive (../, absolute and Windows paths)",
      bytes: zipSlip(markerPath),
      filename: "model.zip",
      expect: failed(NOT_ONNX("a ZIP archive")),
    },
    {
      name: "a pickle, protocol 0",
      bytes: pickleProtocol0(touchMarker),
      filename: "model.pkl",
      expect: failed(/^not an ONNX model: the file is/),
    },
    {
      name: "a pickle, protocol 2",
      bytes: pickleProtocol2(touchMarker),
      filename: "model.pt",
      expect: failed(/^not an ONNX model: the file is a Python pickle .*never loaded/),
    },
    {
      name: "a pickle, protocol 4",
      bytes: pickleProtocol4(touchMarker),
      filename: "model.pkl",
      expect: failed(/^not an ONNX model: the file is a Python pickle .*never loaded/),
    },
    {
      name: "a forged HDF5 (signature, then garbage)",
      bytes: concatBytes([HDF5_SIGNATURE, randomBytes(2048, 5)]),
      filename: "model.h5",
      expect: failed(/^unsupported format: Keras HDF5/, "KERAS_H5"),
    },
    {
      name: "a forged HDF5 behind a 512-byte user block",
      bytes: concatBytes([new Uint8Array(512), HDF5_SIGNATURE, randomBytes(1024, 6)]),
      filename: "model.keras",
      expect: failed(/^unsupported format: Keras HDF5/, "KERAS_H5"),
    },
    {
      name: "billion laughs (PMML)",
      bytes: billionLaughs(),
      filename: "model.pmml",
      expect: failed(/^unsupported format: PMML XML/, "PMML"),
    },
    {
      name: "XXE reading /etc/passwd (PMML)",
      bytes: xxe(),
      filename: "model.pmml",
      expect: failed(/^unsupported format: PMML XML/, "PMML"),
    },

    // Broken ONNX.
    onnx("a truncated ONNX model", goodModel.subarray(0, Math.floor(goodModel.length / 2)), /truncated/),
    onnx("an ONNX model cut after its first field", goodModel.subarray(0, 2), /no graph|truncated/),
    onnx("a graph whose length runs 2 GiB past the end", lyingLengthModel(), /truncated/),

    // External data: the model would read a file of the server's.
    onnx("external data by absolute path", externalWeightModel("/etc/passwd"), EXTERNAL_DATA),
    onnx("external data through ..", externalWeightModel("../../../../../../../../etc/passwd"), EXTERNAL_DATA),
    onnx(
      "external data through a symlink (/proc/self/root)",
      externalWeightModel("/proc/self/root/etc/hostname"),
      EXTERNAL_DATA,
    ),
    onnx(
      "external data through a relative symlink (/proc/self/cwd)",
      externalWeightModel("../../../../../../../../proc/self/cwd/package.json"),
      EXTERNAL_DATA,
    ),
    onnx("external data in a sibling artifact (same folder)", externalWeightModel(leak.datasetSha256), EXTERNAL_DATA),
    onnx(
      "external data in a sibling artifact (../shard/sha256)",
      externalWeightModel(climbingToSibling),
      EXTERNAL_DATA,
    ),
    {
      name: "a repeated Constant tensor whose first copy reads a sibling artifact (same folder)",
      bytes: leak.model,
      filename: "repeated-field.onnx",
      expect: repeatedFieldExpectation,
    },
    {
      name: "a repeated Constant tensor whose first copy reads a sibling artifact (../shard/sha256)",
      bytes: repeatedFieldModel(climbingToSibling, LEAKED_VALUES),
      filename: "repeated-field-climbing.onnx",
      expect: repeatedFieldExpectation,
    },

    // Size and shape bombs.
    onnx("an initializer claiming 2^40 elements with 16 bytes", initializerBomb([2 ** 20, 2 ** 20]), /big_weight/),
    onnx("an initializer with dims near 2^63", initializerBomb([2n ** 62n, 4]), /dimension/),
    onnx(
      "an input of fixed shape [32768, 32768]",
      identityModel([{ name: "pixels", elemType: DataType.FLOAT, dims: [32768, 32768] }]),
      OVER_A_LIMIT,
    ),
    onnx(
      "an input with a dimension of 2^63 - 1",
      identityModel([{ name: "pixels", elemType: DataType.FLOAT, dims: [2n ** 63n - 1n, 4] }]),
      /dimension/,
    ),

    // Graphs onnxruntime must refuse, or that cost too much to load.
    onnx("an unknown op", unknownOpModel("NoSuchOp"), /^onnxruntime could not load the model: .*NoSuchOp/),
    onnx("an op of an unknown domain", unknownOpModel("Exfiltrate", "com.attacker"), /com\.attacker/),
    onnx(`If nested ${NESTING_DEPTH} deep`, nestedIfModel(NESTING_DEPTH), /nest|deep|depth|could not load/i),
    onnx(`Loop nested ${NESTING_DEPTH} deep`, nestedLoopModel(NESTING_DEPTH), /nest|deep|depth|could not load/i),
    {
      name: `a graph of ${LARGE_GRAPH_NODES.toLocaleString("en")} nodes`,
      bytes: longChainModel(LARGE_GRAPH_NODES),
      filename: "long-chain.onnx",
      // A limit on nodes, or the load timeout on a very busy machine: both say why.
      expect: { outcome: "settles", failedMessage: /nodes|took longer than/ },
    },

    // A good model in hostile wrapping: it must still work, and nothing lands where the wrapping points.
    {
      name: "a file name that climbs out of the store (X-Filename ../)",
      bytes: goodModel,
      filename: `../../../../../../..${markerPath}`,
      expect: { outcome: "ready" },
    },
    {
      name: "multipart from Chrome (boundary with upper-case letters)",
      bytes: multipartBody(boundary, goodModel),
      filename: "digits.onnx",
      multipartBoundary: boundary,
      expect: { outcome: "ready" },
    },
  ];
  return {
    cases,
    siblingDataset: { bytes: leak.dataset, filename: "sibling.csv", sha256: leak.datasetSha256 },
  };

  function refused(message: RegExp): CorpusExpectation {
    return { outcome: "refused", status: 400, message };
  }
}
