import { copyFile, mkdir, readdir } from "node:fs/promises";
import path from "node:path";

/**
 * `npm run screenshots`: copies the screenshots the last end-to-end run took (test-results/screenshots)
 * into docs/screenshots, where the README shows them. A test run itself never changes tracked files.
 */
const source = path.resolve("test-results/screenshots");
const target = path.resolve("docs/screenshots");

const files = (await readdir(source).catch(() => [] as string[])).filter((file) => file.endsWith(".png"));
if (files.length === 0) {
  console.error(
    `no screenshots in ${source}; run the end-to-end tests first (npm test, or tsx scripts/test.ts --only e2e)`,
  );
  process.exit(1);
}
await mkdir(target, { recursive: true });
for (const file of files) await copyFile(path.join(source, file), path.join(target, file));
console.error(`copied ${files.length} screenshots into ${path.relative(process.cwd(), target)}`);
