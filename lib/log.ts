import pino from "pino";

/** Structured JSON logs (pino). Pipe through `pino-pretty` to read them in a terminal. */
export const log = pino({
  level: process.env.LOG_LEVEL ?? "info",
  base: { service: process.env.MODELYARD_SERVICE ?? "modelyard" },
  timestamp: pino.stdTimeFunctions.isoTime,
});

export type Logger = typeof log;
