/**
 * A failed job's error as it may be shown to whoever reads the job: one line, no stack, no code
 * frame, no server path and no credentials. The full error stays in the worker's log.
 */
const MAX_CHARS = 300;

/** Lines that are stack frames, Prisma's code frames or its "invocation in <file>" preamble. */
const NOISE_LINE = /^(at\s|→?\s*\d+\s|.*invocation in:?$|\/\S+:\d+:\d+$)/;
/** An absolute path (or file URL) at the start of the text or after a space, quote, paren or `=`. */
const SERVER_PATH = /(^|[\s'"`(=])(?:file:\/\/)?\/[^\s'"`()]+/g;
/** user:password@ in a connection URL. */
const URL_CREDENTIALS = /(\/\/)[^/\s@]+@/g;

export function publicErrorMessage(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const lines = text
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line.length > 0 && !NOISE_LINE.test(line));
  // Prisma puts the reason last, after where it was called from; everyone else puts it first.
  const isPrisma = error instanceof Error && error.name.startsWith("PrismaClient");
  const line = (isPrisma ? lines.at(-1) : lines[0]) ?? (error instanceof Error ? error.name : "unknown error");
  const safe = line.replace(URL_CREDENTIALS, "$1***@").replace(SERVER_PATH, "$1(a server path)");
  return safe.length > MAX_CHARS ? `${safe.slice(0, MAX_CHARS - 1)}…` : safe;
}
