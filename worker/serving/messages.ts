/** A value a client sent, cut short for an error message: messages are not an echo of whatever came. */
export const truncated = (value: string, limit = 60): string =>
  value.length > limit ? `${value.slice(0, limit)}…` : value;

/** A name a client sent, quoted and cut short. */
export const quoted = (value: string, limit = 60): string => `'${truncated(value, limit)}'`;
