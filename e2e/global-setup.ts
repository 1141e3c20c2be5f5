/** Refuses to run against anything but a local platform: these tests create and delete data. */
export default async function globalSetup(): Promise<void> {
  const baseUrl = new URL(process.env.E2E_BASE_URL ?? "http://127.0.0.1:3000");
  if (!["127.0.0.1", "localhost", "[::1]"].includes(baseUrl.hostname)) {
    throw new Error(`refusing to run end-to-end tests against ${baseUrl.origin}: only a local platform is allowed`);
  }
  const databaseHost = process.env.DATABASE_URL ? new URL(process.env.DATABASE_URL).hostname : "127.0.0.1";
  if (!["127.0.0.1", "localhost", "[::1]", ""].includes(databaseHost)) {
    throw new Error(`refusing to run end-to-end tests with a non-local database (${databaseHost})`);
  }
}
