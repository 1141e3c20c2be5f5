import { db as defaultDb, Prisma, type Db } from "@/lib/db";
import { AppError, notFound } from "@/lib/errors";
import type { CreateModelInput, ListModelsQuery, ModelSummary, Page, UpdateModelInput } from "./schemas";

const modelNotFound = (name: string) => notFound(`model '${name}'`);

/**
 * `text` for Prisma's `contains` / `startsWith`, which become LIKE patterns as given: `%` and `_`
 * would be wildcards, so they (and the escape character itself) are escaped to match literally.
 */
export function likeLiteral(text: string): string {
  return text.replace(/[\\%_]/g, (char) => `\\${char}`);
}

/** One query for the list: counts and stage versions per model come from a lateral aggregate. */
async function summarise(
  database: Db,
  ids: string[],
): Promise<
  Map<string, Omit<ModelSummary, "id" | "name" | "description" | "tags" | "createdBy" | "createdAt" | "updatedAt">>
> {
  if (ids.length === 0) return new Map();
  const rows = await database.$queryRaw<
    {
      model_id: string;
      version_count: number;
      latest_version: number | null;
      production_version: number | null;
      staging_version: number | null;
    }[]
  >`
    SELECT model_id,
           count(*)::int AS version_count,
           max(version) AS latest_version,
           max(version) FILTER (WHERE stage = 'PRODUCTION') AS production_version,
           max(version) FILTER (WHERE stage = 'STAGING') AS staging_version
    FROM model_version
    WHERE model_id = ANY(${ids}::uuid[])
    GROUP BY model_id`;
  return new Map(
    rows.map((row) => [
      row.model_id,
      {
        versionCount: row.version_count,
        latestVersion: row.latest_version,
        productionVersion: row.production_version,
        stagingVersion: row.staging_version,
      },
    ]),
  );
}

type ModelRow = Prisma.RegisteredModelGetPayload<object>;

async function toSummaries(database: Db, rows: ModelRow[]): Promise<ModelSummary[]> {
  const stats = await summarise(
    database,
    rows.map((row) => row.id),
  );
  return rows.map((row) => ({
    id: row.id,
    name: row.name,
    description: row.description,
    tags: row.tags,
    createdBy: row.createdBy,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    ...(stats.get(row.id) ?? { versionCount: 0, latestVersion: null, productionVersion: null, stagingVersion: null }),
  }));
}

export async function createModel(
  input: CreateModelInput,
  actor: string,
  database: Db = defaultDb(),
): Promise<ModelSummary> {
  try {
    const row = await database.registeredModel.create({
      data: { name: input.name, description: input.description, tags: input.tags, createdBy: actor },
    });
    const [summary] = await toSummaries(database, [row]);
    return summary!;
  } catch (error) {
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002") {
      throw new AppError("conflict", `a model named '${input.name}' already exists`);
    }
    throw error;
  }
}

export async function listModels(query: ListModelsQuery, database: Db = defaultDb()): Promise<Page<ModelSummary>> {
  const where: Prisma.RegisteredModelWhereInput = {
    ...(query.q
      ? {
          OR: [
            { name: { contains: likeLiteral(query.q), mode: "insensitive" } },
            { description: { contains: likeLiteral(query.q), mode: "insensitive" } },
          ],
        }
      : {}),
    ...(query.tag ? { tags: { has: query.tag } } : {}),
  };
  const [total, rows] = await Promise.all([
    database.registeredModel.count({ where }),
    database.registeredModel.findMany({
      where,
      orderBy: [{ updatedAt: "desc" }, { id: "asc" }],
      skip: (query.page - 1) * query.pageSize,
      take: query.pageSize,
    }),
  ]);
  return { items: await toSummaries(database, rows), page: query.page, pageSize: query.pageSize, total };
}

export async function findModelRow(name: string, database: Db = defaultDb()): Promise<ModelRow> {
  const row = await database.registeredModel.findUnique({ where: { name } });
  if (!row) throw modelNotFound(name);
  return row;
}

export async function getModel(name: string, database: Db = defaultDb()): Promise<ModelSummary> {
  const [summary] = await toSummaries(database, [await findModelRow(name, database)]);
  return summary!;
}

export async function updateModel(
  name: string,
  input: UpdateModelInput,
  database: Db = defaultDb(),
): Promise<ModelSummary> {
  const row = await database.registeredModel.update({ where: { name }, data: input }).catch((error: unknown) => {
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2025") throw modelNotFound(name);
    throw error;
  });
  const [summary] = await toSummaries(database, [row]);
  return summary!;
}
