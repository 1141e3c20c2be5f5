/**
 * What a failed database call says about the database: `refused` when it rejected the data (a value
 * out of range, a key too long to index, a row deleted meanwhile), which no retry can fix;
 * `unreachable` when it could not be reached or dropped the connection, and `busy` when every
 * connection stayed taken for longer than a caller waits (a transaction that could not start, a pool
 * timeout), both of which time may fix; `failed` for anything else.
 */
export type DatabaseFailure = "refused" | "unreachable" | "busy" | "failed";

/** Driver adapter error kinds that mean the connection, not the statement, failed. */
const CONNECTION_KINDS = new Set([
  "DatabaseNotReachable",
  "DatabaseDoesNotExist",
  "DatabaseAccessDenied",
  "AuthenticationFailed",
  "ConnectionClosed",
  "SocketTimeout",
  "TlsConnectionError",
  "TooManyConnections",
]);
/** Driver adapter error kinds for a value or constraint the rows broke. */
const DATA_KINDS = new Set([
  "LengthMismatch",
  "UniqueConstraintViolation",
  "NullConstraintViolation",
  "ForeignKeyConstraintViolation",
  "InvalidInputValue",
  "ValueOutOfRange",
]);
/** Socket errors, and Prisma's own codes for a server it cannot reach or that closed the connection. */
const CONNECTION_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "P1001",
  "P1002",
  "P1008",
  "P1017",
]);

/** Prisma's codes for a transaction that could not start in time and a connection pool that stayed full. */
const BUSY_CODES = new Set(["P2028", "P2024"]);

export function classifyDatabaseError(error: unknown): DatabaseFailure {
  const record = error as { name?: string; code?: unknown; meta?: { driverAdapterError?: { cause?: unknown } } };
  if (record?.name === "PrismaClientInitializationError") return "unreachable";
  const cause = (record?.meta?.driverAdapterError?.cause ?? error) as { kind?: string; code?: unknown } | undefined;
  const kind = cause?.kind;
  const code = typeof cause?.code === "string" ? cause.code : typeof record?.code === "string" ? record.code : "";
  if ((kind && CONNECTION_KINDS.has(kind)) || CONNECTION_CODES.has(code)) return "unreachable";
  if (BUSY_CODES.has(code)) return "busy";
  if (kind && DATA_KINDS.has(kind)) return "refused";
  if (kind === "postgres") {
    // SQLSTATE classes: 08 connection exception, 57P admin/crash shutdown; 22 data exception,
    // 23 integrity constraint violation, 54 program limit exceeded (an index row too large).
    if (code.startsWith("08") || code.startsWith("57P") || code === "53300") return "unreachable";
    if (code.startsWith("22") || code.startsWith("23") || code.startsWith("54")) return "refused";
  }
  return "failed";
}
