/**
 * Seeded mutations for the fuzz test: ONNX files edited byte by byte and field by field, and inference
 * requests edited in their JSON values, their text and their bytes. Every mutation is described in
 * words, so a failing case can be read as well as replayed (same seed, same case number).
 */
import { mulberry32 } from "@/lib/onnx";
import { concatBytes, tag, topLevelFields, varint, WIRE } from "./protobuf-bytes";

export type Random = () => number;

export const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
const below = (random: Random, limit: number) => Math.floor(random() * limit);

export interface Mutated<T> {
  value: T;
  description: string;
}

// ---------------------------------------------------------------------------------------------------
// ONNX files

const INTERESTING_VARINTS: readonly (number | bigint)[] = [
  0,
  1,
  -1,
  127,
  128,
  2 ** 31 - 1,
  2 ** 31,
  2 ** 32,
  2 ** 53 + 1,
  2n ** 63n - 1n,
  -(2n ** 63n),
];

type FieldEdit = "duplicate" | "delete" | "varint" | "length";

/**
 * Applies `edit` to a field somewhere in the message: it descends into length-delimited fields at random
 * (re-encoding each enclosing length, so the edit stays local) and edits the field it stops at.
 */
function editField(bytes: Uint8Array, random: Random, edit: FieldEdit, depth = 0): Mutated<Uint8Array> | null {
  const spans = topLevelFields(bytes);
  if (spans.length === 0) return null;
  const span = pick(random, spans);
  const before = bytes.subarray(0, span.start);
  const after = bytes.subarray(span.end);
  const payload = bytes.subarray(span.valueStart, span.end);
  if (span.wireType === WIRE.lengthDelimited && depth < 6 && random() < 0.7) {
    const inner = editField(payload, random, edit, depth + 1);
    if (inner) {
      return {
        value: concatBytes([
          before,
          tag(span.field, WIRE.lengthDelimited),
          varint(inner.value.length),
          inner.value,
          after,
        ]),
        description: `${span.field} > ${inner.description}`,
      };
    }
  }
  const whole = bytes.subarray(span.start, span.end);
  switch (edit) {
    case "duplicate":
      return { value: concatBytes([before, whole, whole, after]), description: `${span.field} duplicated` };
    case "delete":
      return { value: concatBytes([before, after]), description: `${span.field} deleted` };
    case "varint": {
      if (span.wireType !== WIRE.varint) return null;
      const value = random() < 0.8 ? pick(random, INTERESTING_VARINTS) : below(random, 2 ** 31);
      return {
        value: concatBytes([before, tag(span.field, WIRE.varint), varint(value), after]),
        description: `${span.field} set to ${value}`,
      };
    }
    case "length": {
      if (span.wireType !== WIRE.lengthDelimited) return null;
      const length = pick(random, [0, payload.length - 1, payload.length + 1, payload.length * 2 + 7, 2 ** 31 - 1]);
      return {
        value: concatBytes([
          before,
          tag(span.field, WIRE.lengthDelimited),
          varint(Math.max(0, length)),
          payload,
          after,
        ]),
        description: `${span.field} length ${payload.length} → ${Math.max(0, length)}`,
      };
    }
  }
}

export function mutateOnnx(original: Uint8Array, random: Random): Mutated<Uint8Array> {
  const kind = pick(random, ["bit flips", "truncation", "duplicate", "delete", "varint", "length"] as const);
  if (kind === "bit flips") {
    const bytes = Uint8Array.from(original);
    const flips = Array.from(
      { length: 1 + below(random, 8) },
      () => [below(random, bytes.length), below(random, 8)] as const,
    );
    for (const [offset, bit] of flips) bytes[offset] = bytes[offset]! ^ (1 << bit);
    return { value: bytes, description: `bit flips at ${flips.map(([offset, bit]) => `${offset}.${bit}`).join(", ")}` };
  }
  if (kind === "truncation") {
    const length = below(random, original.length);
    return { value: original.subarray(0, length), description: `truncated to ${length} bytes` };
  }
  // An edit that does not apply where it landed (a varint edit on a string) is tried again elsewhere.
  for (let attempt = 0; attempt < 20; attempt++) {
    const edited = editField(original, random, kind);
    if (edited) return { value: edited.value, description: `field ${edited.description}` };
  }
  return { value: original.subarray(0, original.length - 1), description: "truncated by one byte" };
}

// ---------------------------------------------------------------------------------------------------
// Inference requests

export interface HttpCase {
  path: string;
  headers: Record<string, string>;
  body: Uint8Array;
}

/** A request before its encoding: the JSON value, plus raw text patches applied after serialising. */
export interface RequestDraft {
  path: string;
  headers: Record<string, string>;
  json: unknown;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * Strings in the draft of the form RAW(text) are replaced by text after serialising: the only way to
 * send what JSON.stringify cannot write (1e309, 100,000 nested arrays, numbers past 2^64).
 */
const raw = (text: string) => `@@RAW(${text})@@`;
const RAW_PATTERN = /"@@RAW\((.*?)\)@@"/g;

export const DEEP_NESTING = 100_000;
const deeplyNested = (depth: number) => raw(`${"[".repeat(depth)}0${"]".repeat(depth)}`);

/**
 * Text that does not compress: PostgreSQL compresses long index keys, so a repeated character would
 * slip under the btree row limit that a real long id exceeds.
 */
export function incompressibleText(length: number, random: Random): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  return Array.from({ length }, () => pick(random, [...alphabet])).join("");
}

const HOSTILE_IDS: readonly [string, Json][] = [
  ["a newline", "line\nbreak"],
  ["CRLF and a header", "x\r\nSet-Cookie: stolen=1"],
  ["U+0100", "\u0100"],
  ["CJK", "推理请求"],
  ["an emoji", "🔥"],
  ["NUL", "a\u0000b"],
  ["a lone surrogate", "\ud800"],
  ["3,000 characters", incompressibleText(3000, mulberry32(3000))],
  ["1 MB", "m".repeat(1_000_000)],
  ["empty", ""],
  ["a number", 42],
  ["an object", { nested: "id" }],
  ["null", null],
  ["Latin-1", "caf\u00e9"],
];

const HOSTILE_HEADER_IDS: readonly [string, string][] = [
  ["Latin-1", "caf\u00e9"],
  ["200 characters", "h".repeat(200)],
  ["201 characters", "h".repeat(201)],
  ["8,000 characters", "h".repeat(8000)],
  ["bytes 0x80-0xff", String.fromCharCode(...Array.from({ length: 128 }, (_, index) => 0x80 + index))],
];

const HOSTILE_SHAPES: readonly Json[] = [
  [],
  [0],
  [-1, 64],
  [1.5, 64],
  [2 ** 31, 64],
  [2 ** 53, 2 ** 53],
  [32768, 32768],
  [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1],
  raw("[1e309, 64]") as Json,
  raw("[18446744073709551616]") as Json,
  "2,64",
  null,
  [[2], [64]],
  { 0: 2 },
];

const HOSTILE_DATATYPES: readonly Json[] = [
  "FP32 ",
  "fp32",
  "BF16",
  "FP8",
  "",
  "BYTES",
  "BOOL",
  "INT8",
  "UINT64",
  "FP16",
  "__proto__",
  1,
  null,
  ["FP32"],
];

const HOSTILE_VALUES: readonly Json[] = [
  null,
  true,
  "x",
  "1",
  {},
  [],
  { b64: "!!notbase64" },
  { b64: "AAAA" },
  -0,
  2 ** 53 + 1,
  -(2 ** 63),
  1.5,
  -1,
  300,
  1e308,
  -1e308,
  5e-324,
  raw("1e309") as Json,
  raw("-1e309") as Json,
  raw("123456789012345678901234567890") as Json,
  raw("1e-400") as Json,
];

const HOSTILE_NAMES: readonly string[] = ["", "\u0000", "../input", "input ", "INPUT", "n".repeat(10_000), "__proto__"];

function clone<T>(value: T): T {
  return structuredClone(value);
}

/** Every array and object inside `value`, with a setter, so a mutation can replace any one of them. */
function slots(value: Json): { get: () => Json; set: (next: Json) => void; path: string }[] {
  const found: { get: () => Json; set: (next: Json) => void; path: string }[] = [];
  const visit = (node: Json, path: string) => {
    if (Array.isArray(node)) {
      node.forEach((child, index) => {
        found.push({ get: () => node[index]!, set: (next) => (node[index] = next), path: `${path}[${index}]` });
        visit(child, `${path}[${index}]`);
      });
    } else if (node && typeof node === "object") {
      for (const key of Object.keys(node)) {
        found.push({ get: () => node[key]!, set: (next) => (node[key] = next), path: `${path}.${key}` });
        visit(node[key]!, `${path}.${key}`);
      }
    }
  };
  visit(value, "$");
  return found;
}

type JsonMutation = (draft: RequestDraft, random: Random) => string;

const isObject = (value: unknown): value is Record<string, Json> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** The request's input objects (V2 `inputs`), if it has any. */
function v2Inputs(draft: RequestDraft): Record<string, Json>[] {
  const body = draft.json;
  if (!isObject(body) || !Array.isArray(body.inputs)) return [];
  return body.inputs.filter(isObject);
}

const JSON_MUTATIONS: readonly JsonMutation[] = [
  function hostileId(draft, random) {
    const [label, id] = pick(random, HOSTILE_IDS);
    if (isObject(draft.json)) draft.json.id = id;
    return `id ${label}`;
  },
  function hostileIdHeader(draft, random) {
    const [label, id] = pick(random, HOSTILE_HEADER_IDS);
    draft.headers["x-request-id"] = id;
    return `X-Request-Id ${label}`;
  },
  function hostileShape(draft, random) {
    const inputs = v2Inputs(draft);
    if (inputs.length === 0) return "no shape to change";
    const input = pick(random, inputs);
    input.shape = clone(pick(random, HOSTILE_SHAPES));
    return `shape of ${String(input.name)} = ${JSON.stringify(input.shape).slice(0, 60)}`;
  },
  function hostileDatatype(draft, random) {
    const inputs = v2Inputs(draft);
    if (inputs.length === 0) return "no datatype to change";
    const input = pick(random, inputs);
    input.datatype = clone(pick(random, HOSTILE_DATATYPES));
    return `datatype of ${String(input.name)} = ${JSON.stringify(input.datatype)}`;
  },
  function hostileName(draft, random) {
    const inputs = v2Inputs(draft);
    const name = pick(random, HOSTILE_NAMES);
    if (inputs.length > 0) pick(random, inputs).name = name;
    else if (isObject(draft.json) && isObject(draft.json.inputs)) draft.json.inputs[name] = [1];
    return `input name ${JSON.stringify(name.slice(0, 20))} (${name.length} chars)`;
  },
  function nesting(draft, random) {
    const targets = slots(draft.json as Json).filter((slot) => Array.isArray(slot.get()));
    if (targets.length === 0) return "nothing to nest";
    const target = pick(random, targets);
    if (random() < 0.3) {
      target.set(deeplyNested(DEEP_NESTING));
      return `${target.path} replaced by ${DEEP_NESTING} nested arrays`;
    }
    const levels = 1 + below(random, 6);
    let value = target.get();
    for (let level = 0; level < levels; level++) value = [value];
    target.set(value);
    return `${target.path} wrapped in ${levels} more arrays`;
  },
  function hostileValue(draft, random) {
    const value = clone(pick(random, HOSTILE_VALUES));
    const targets = slots(draft.json as Json);
    if (targets.length === 0) {
      draft.json = value;
      return `body = ${JSON.stringify(value).slice(0, 60)}`;
    }
    const target = pick(random, targets);
    target.set(value);
    return `${target.path} = ${JSON.stringify(value).slice(0, 60)}`;
  },
  function deleteKey(draft, random) {
    const targets = slots(draft.json as Json).filter((slot) => isObject(slot.get()));
    const holder = targets.length > 0 && random() < 0.7 ? pick(random, targets).get() : draft.json;
    if (!isObject(holder)) return "no key to delete";
    const keys = Object.keys(holder);
    if (keys.length === 0) return "no key to delete";
    const key = pick(random, keys);
    delete holder[key];
    return `key ${key} deleted`;
  },
  function replaceBody(draft, random) {
    draft.json = clone(
      pick(random, [[], "inputs", 0, null, [draft.json], { inputs: {} }, { instances: [] }] as Json[]),
    );
    return `body replaced by ${JSON.stringify(draft.json).slice(0, 60)}`;
  },
  function duplicateInput(draft) {
    const body = draft.json;
    if (!isObject(body) || !Array.isArray(body.inputs) || body.inputs.length === 0) return "no input to repeat";
    body.inputs.push(clone(body.inputs[0]!));
    return "first input given twice";
  },
  function hostilePath(draft, random) {
    const [label, rewrite] = pick(random, [
      [
        "version 2^64",
        (path: string) => path.replace(/(\/infer|:predict)$/, (action) => `/versions/18446744073709551616${action}`),
      ],
      ["version -1", (path: string) => path.replace(/(\/infer|:predict)$/, (action) => `/versions/-1${action}`)],
      ["label with NUL", (path: string) => path.replace(/(\/infer|:predict)$/, (action) => `/labels/%00${action}`)],
      ["model name ..%2f", (path: string) => path.replace(/models\/[^/:]+/, "models/..%2f..%2fetc")],
      ["model name with %ff", (path: string) => path.replace(/models\/[^/:]+/, "models/%ff%fe")],
      [
        "model name of 10,000 characters",
        (path: string) => path.replace(/models\/[^/:]+/, `models/${"m".repeat(10_000)}`),
      ],
    ] as const);
    draft.path = rewrite(draft.path);
    return `path: ${label}`;
  },
];

type TextMutation = (
  text: string,
  random: Random,
) => { body: Uint8Array; headers?: Record<string, string>; description: string };

const utf8 = (text: string) => new TextEncoder().encode(text);

/** Inserts bytes just after the first quote that opens a string value, so they land inside a JSON string. */
function insideFirstString(text: string, bytes: number[]): Uint8Array {
  const encoded = utf8(text);
  const quote = encoded.indexOf(0x22);
  if (quote < 0) return concatBytes([encoded, Uint8Array.from(bytes)]);
  return concatBytes([encoded.subarray(0, quote + 1), Uint8Array.from(bytes), encoded.subarray(quote + 1)]);
}

const TEXT_MUTATIONS: readonly TextMutation[] = [
  (text) => ({ body: insideFirstString(text, [0xff, 0xfe]), description: "bytes ff fe inside a string" }),
  (text) => ({ body: insideFirstString(text, [0xc0, 0x80]), description: "overlong NUL (c0 80) inside a string" }),
  (text) => ({
    body: insideFirstString(text, [0xed, 0xa0, 0x80]),
    description: "an encoded surrogate inside a string",
  }),
  (text) => ({ body: insideFirstString(text, [0xe2, 0x82]), description: "a cut multi-byte character" }),
  (text) => ({ body: utf8(`\ufeff${text}`), description: "a byte-order mark" }),
  (text) => ({
    body: Uint8Array.from(Buffer.from(text, "utf16le")),
    headers: { "content-type": "application/json; charset=utf-16" },
    description: "UTF-16 encoded",
  }),
  (text, random) => {
    const length = below(random, text.length);
    return { body: utf8(text.slice(0, length)), description: `JSON cut at ${length} characters` };
  },
  (text) => ({ body: utf8(`${text}}{"more":1}`), description: "trailing garbage" }),
  (text) => ({
    body: utf8(text.replace("{", '{"__proto__":{"polluted":true},"constructor":{"prototype":{"x":1}},')),
    description: "__proto__ and constructor keys",
  }),
  (text) => ({ body: utf8(text.replace("{", '{"id":"first","inputs":"first",')), description: "keys given twice" }),
  (text) => ({ body: utf8(text), headers: { "content-type": "text/plain" }, description: "sent as text/plain" }),
  (text) => ({ body: utf8(text), headers: { "content-encoding": "gzip" }, description: "claims gzip, is not" }),
  // curl -d's type, which replicas read as JSON when no browser header shows a web page sent it.
  (text) => ({
    body: utf8(text),
    headers: { "content-type": "application/x-www-form-urlencoded" },
    description: "sent as a form by a script",
  }),
  (text) => ({
    body: utf8(text),
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      origin: "https://attacker.example",
      "sec-fetch-site": "cross-site",
    },
    description: "sent as a form from another site",
  }),
];

/** Serialises a draft, expanding RAW(...) values. */
export function encodeDraft(draft: RequestDraft): string {
  return JSON.stringify(draft.json).replace(RAW_PATTERN, (_, text: string) => text);
}

/** One to three JSON mutations, then (sometimes) one to the text or bytes. */
export function mutateRequest(base: RequestDraft, random: Random): Mutated<HttpCase> {
  const draft: RequestDraft = { path: base.path, headers: { ...base.headers }, json: clone(base.json) };
  const descriptions: string[] = [];
  const count = 1 + below(random, 3);
  for (let index = 0; index < count; index++) descriptions.push(pick(random, JSON_MUTATIONS)(draft, random));
  const text = encodeDraft(draft);
  let body: Uint8Array = utf8(text);
  if (random() < 0.3) {
    const mutated = pick(random, TEXT_MUTATIONS)(text, random);
    body = mutated.body;
    Object.assign(draft.headers, mutated.headers);
    descriptions.push(mutated.description);
  }
  return { value: { path: draft.path, headers: draft.headers, body }, description: descriptions.join("; ") };
}
