import { existsSync } from "node:fs";
import path from "node:path";
import { describe } from "vitest";
import { CONFORMANCE_TAG, TESTDATA_DIR } from "./testdata";

/**
 * Conformance suites check the platform against real files made by other people's tools (Keras,
 * TF.js, PMML from jpmml's tests, the ONNX backend node tests). Their licences differ, so they stay
 * outside the repository and are read in place from one setting, TESTDATA_DIR (default
 * ../shared/testdata beside the project). Without the corpus these suites are skipped; the test
 * runner counts them in its closing summary and, under CI=true, fails the run.
 */
export { CONFORMANCE_TAG, TESTDATA_DIR };

/** The corpus folder for one suite, e.g. `onnx-node`; whether it is there is known at collection time. */
export function corpus(folder: string): { dir: string; available: boolean } {
  const dir = path.join(TESTDATA_DIR, folder);
  return { dir, available: existsSync(dir) };
}

/**
 * A conformance suite over one corpus folder: skipped (and counted as such) when the folder is absent.
 * The tag in the name is how the runner tells these tests from the rest.
 */
export function describeConformance(name: string, folder: string, body: (dir: string) => void): void {
  const { dir, available } = corpus(folder);
  describe.skipIf(!available)(`${CONFORMANCE_TAG} ${name}`, () => body(dir));
}
