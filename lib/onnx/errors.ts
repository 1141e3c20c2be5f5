/**
 * A model file that cannot be used, with a message written for the person who uploaded it
 * (what is wrong and, where possible, what to do about it).
 */
export class OnnxModelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "OnnxModelError";
  }
}
