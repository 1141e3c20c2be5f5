export * from "./schemas";
export { createModel, listModels, getModel, updateModel, findModelRow } from "./models";
export {
  createVersionFromUpload,
  listVersions,
  getVersion,
  updateVersion,
  deleteVersion,
  deleteModel,
  findVersionRow,
  type UploadInput,
} from "./versions";
export { transitionStage, rollback, STAGE_LABEL } from "./stages";
export { logMetrics, listMetrics } from "./metrics";
export { listJobs, getJob, cancelJob, endUnfinishedJob, type UnfinishedEnd } from "./jobs";
