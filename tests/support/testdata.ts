import path from "node:path";

/** The tag in every conformance suite's name: how the test runner tells those tests from the rest. */
export const CONFORMANCE_TAG = "[conformance]";

/**
 * The third-party corpus (TESTDATA_DIR, default ../shared/testdata beside the project), resolved from
 * the project root so every process agrees on it.
 */
export const TESTDATA_DIR = path.resolve(
  import.meta.dirname,
  "../..",
  process.env.TESTDATA_DIR ?? "../shared/testdata",
);
