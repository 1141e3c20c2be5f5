/** URLs of dashboard pages and their REST resources, built in one place. */

/** Path segment for a model name (names are URL-safe today, but encoding keeps that a non-issue). */
export function modelPath(modelName: string): string {
  return `/models/${encodeURIComponent(modelName)}`;
}

export function versionPath(modelName: string, version: number): string {
  return `${modelPath(modelName)}/versions/${version}`;
}

/** The same resources under the REST API. */
export function modelApiPath(modelName: string): string {
  return `/api${modelPath(modelName)}`;
}

export function versionApiPath(modelName: string, version: number): string {
  return `/api${versionPath(modelName, version)}`;
}

/** Downloads the version's stored file. */
export function artifactApiPath(modelName: string, version: number): string {
  return `${versionApiPath(modelName, version)}/artifact`;
}

/** A model's live endpoint: its dashboard page and its REST resource. */
export function endpointPath(modelName: string): string {
  return `${modelPath(modelName)}/endpoint`;
}

export function endpointApiPath(modelName: string): string {
  return `/api${endpointPath(modelName)}`;
}

/** Request statistics over time (`?range=15m|1h|24h&version=N`). */
export function endpointMetricsApiPath(modelName: string): string {
  return `${endpointApiPath(modelName)}/metrics`;
}

export function endpointAccuracyApiPath(modelName: string): string {
  return `${endpointApiPath(modelName)}/accuracy`;
}

export function feedbackApiPath(modelName: string): string {
  return `${modelApiPath(modelName)}/feedback`;
}

/** The model page's query key for the page of its datasets list (versions use `page`). */
export const DATASETS_PAGE_PARAM = "datasetsPage";

/** The version page's query key for the page of its evaluations list. */
export const EVALUATIONS_PAGE_PARAM = "evaluationsPage";

/** A model's datasets: the detail page and the REST resources. `dataset` is the id (or the name). */
export function datasetPath(modelName: string, dataset: string): string {
  return `${modelPath(modelName)}/datasets/${encodeURIComponent(dataset)}`;
}

export function datasetsApiPath(modelName: string): string {
  return `${modelApiPath(modelName)}/datasets`;
}

export function datasetApiPath(modelName: string, dataset: string): string {
  return `/api${datasetPath(modelName, dataset)}`;
}

/** Downloads the dataset's file as uploaded. */
export function datasetDownloadApiPath(modelName: string, dataset: string): string {
  return `${datasetApiPath(modelName, dataset)}/download`;
}

/** A model's evaluations (`?version=&datasetId=`), and those of one version. */
export function evaluationsApiPath(modelName: string): string {
  return `${modelApiPath(modelName)}/evaluations`;
}

export function versionEvaluationsApiPath(modelName: string, version: number): string {
  return `${versionApiPath(modelName, version)}/evaluations`;
}

/** Downloads an evaluation's predictions as CSV. */
export function evaluationPredictionsApiPath(modelName: string, evaluationId: string): string {
  return `${evaluationsApiPath(modelName)}/${encodeURIComponent(evaluationId)}/predictions`;
}

export function jobCancelApiPath(jobId: string): string {
  return `/api/jobs/${encodeURIComponent(jobId)}/cancel`;
}

/** Versions side by side on one dataset: `?versions=1,2&dataset=<id>`. */
export function comparePath(modelName: string, versions: number[], datasetId?: string): string {
  const query = new URLSearchParams();
  if (versions.length > 0) query.set("versions", versions.join(","));
  if (datasetId) query.set("dataset", datasetId);
  const search = query.toString();
  return `${modelPath(modelName)}/compare${search ? `?${search.replaceAll("%2C", ",")}` : ""}`;
}
