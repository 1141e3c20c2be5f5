import { z } from "zod";
import { textSchema } from "@/lib/api/fields";
import { urlNameSchema } from "@/lib/registry/schemas";

/**
 * The datasets' public shapes: what the API accepts and returns. The API, the dashboard and the
 * tests all use these. No server-only imports, so client components may import this file.
 */

export const DATASET_FORMATS = ["CSV", "JSONL"] as const;
export const datasetFormatSchema = z.enum(DATASET_FORMATS);
export type DatasetFormatName = z.infer<typeof datasetFormatSchema>;

export const COLUMN_KINDS = ["number", "string"] as const;

export const datasetColumnSchema = z.object({
  name: z.string(),
  /** "number" when every value present is a number (JSON booleans count as 1 and 0). */
  kind: z.enum(COLUMN_KINDS),
  /** Number columns with at least one value: the smallest and largest. */
  min: z.number().optional(),
  max: z.number().optional(),
  /** Empty CSV fields and JSON nulls; they read as NaN from a number column. */
  missing: z.number().int().nonnegative(),
});
export type DatasetColumn = z.infer<typeof datasetColumnSchema>;

export const cellValueSchema = z.union([z.number(), z.string(), z.boolean(), z.null()]);

export const DATASET_NAME_MAX = 100;
export const datasetNameSchema = urlNameSchema("dataset", DATASET_NAME_MAX);

export const COLUMN_NAME_MAX = 1000;
const columnNameSchema = textSchema("the column name", { min: 1, max: COLUMN_NAME_MAX, trim: false });

/** Query parameters (or multipart fields) of an upload. */
export const datasetUploadOptionsSchema = z.object({
  name: datasetNameSchema.optional(),
  /** Overrides label detection; must be one of the file's columns. */
  labelColumn: columnNameSchema.optional(),
});
export type DatasetUploadOptions = z.infer<typeof datasetUploadOptionsSchema>;

export const updateDatasetSchema = z
  .object({
    name: datasetNameSchema,
    /** An existing column, or null for none. */
    labelColumn: columnNameSchema.nullable(),
  })
  .partial()
  .strict();
export type UpdateDatasetInput = z.infer<typeof updateDatasetSchema>;

export const datasetDtoSchema = z.object({
  id: z.string(),
  modelName: z.string(),
  name: z.string(),
  format: datasetFormatSchema,
  sizeBytes: z.number(),
  sha256: z.string(),
  rowCount: z.number().int(),
  /** In file order. */
  columns: z.array(datasetColumnSchema),
  labelColumn: z.string().nullable(),
  /** The first rows, each a list in column order (numbers in number columns). */
  preview: z.array(z.array(cellValueSchema)),
  createdAt: z.string(),
  createdBy: z.string(),
});
export type DatasetDto = z.infer<typeof datasetDtoSchema>;
