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
