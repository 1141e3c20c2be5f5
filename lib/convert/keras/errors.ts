/**
 * A Keras upload that cannot be read or is refused, with a message written for the person who
 * uploaded it: what is wrong and, where possible, what to do about it.
 */
export class KerasModelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "KerasModelError";
  }
}
