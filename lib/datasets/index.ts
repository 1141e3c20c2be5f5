/**
 * Datasets: labelled tables (CSV or JSON Lines) uploaded to a model to evaluate its versions on.
 * This module owns their parsing (streaming, on bytes), the profile taken on upload (columns,
 * kinds, ranges, row count, label column, preview), their rows and lifecycle in the database, and
 * reading them back in chunks for jobs. The file itself is an immutable artifact (lib/artifacts).
 */
export * from "./schemas";
export {
  createDatasetFromUpload,
  listDatasets,
  getDataset,
  getDatasetById,
  updateDataset,
  deleteDataset,
  findDatasetRow,
  type DatasetUploadInput,
} from "./datasets";
export { DATASET_CONTENT_TYPES, FILE_EXTENSION, MEDIA_TYPE } from "./formats";
export { detectLabelColumn, profileDataset, type DatasetProfile } from "./profile";
export {
  checkFeatureColumns,
  readDatasetRows,
  type DatasetChunk,
  type DatasetCursor,
  type FeatureDtype,
  type ReadRowsOptions,
  type StoredDataset,
} from "./rows";
