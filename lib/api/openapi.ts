import { z } from "zod";
import {
  apiErrorSchema,
  createModelSchema,
  jobDtoSchema,
  metricInputSchema,
  metricSchema,
  modelSummarySchema,
  pageSchema,
  rollbackSchema,
  transitionSchema,
  updateModelSchema,
  versionDetailSchema,
  versionSummarySchema,
} from "@/lib/registry/schemas";
import { DATASET_CONTENT_TYPES } from "@/lib/datasets/formats";
import { datasetDtoSchema, datasetUploadOptionsSchema, updateDatasetSchema } from "@/lib/datasets/schemas";
import {
  endpointDtoSchema,
  endpointRangeSchema,
  endpointSeriesSchema,
  feedbackResultSchema,
  feedbackSchema,
  onlineAccuracyBucketSchema,
  onlineAccuracySeriesSchema,
  updateDeploymentSchema,
} from "@/lib/serving/schemas";

/**
 * The OpenAPI 3.1 description of the REST API, generated from the same zod schemas the handlers
 * use to parse requests and the tests use to check responses.
 */
const schema = (value: z.ZodType, io: "input" | "output" = "output") =>
  z.toJSONSchema(value, { io, unrepresentable: "any" });
const jsonContent = (value: z.ZodType, io: "input" | "output" = "output") => ({
  "application/json": { schema: schema(value, io) },
});
const ok = (value: z.ZodType, status = "200", description = "OK") => ({
  [status]: { description, content: jsonContent(value) },
});
const errors = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((status) => [String(status), { $ref: "#/components/responses/Error" }]));
const body = (value: z.ZodType) => ({ required: true, content: jsonContent(value, "input") });
const name = { name: "name", in: "path", required: true, schema: { type: "string" } };
const version = { name: "version", in: "path", required: true, schema: { type: "integer", minimum: 1 } };
const dataset = {
  name: "id",
  in: "path",
  required: true,
  description: "The dataset's id (its name works too)",
  schema: { type: "string" },
};
const binary = { schema: { type: "string", format: "binary" } };
const pageParams = ["page", "pageSize"].map((param) => ({
  name: param,
  in: "query",
  schema: { type: "integer", minimum: 1 },
}));

export function openApiDocument(): Record<string, unknown> {
  return {
    openapi: "3.1.0",
    info: {
      title: "Modelyard API",
      version: "1",
      description: "Model registry: models, versions, stages, metrics, datasets, jobs and live inference endpoints.",
    },
    components: { responses: { Error: { description: "Error", content: jsonContent(apiErrorSchema) } } },
    paths: {
      "/api/models": {
        get: {
          summary: "List models",
          parameters: [
            ...pageParams,
            { name: "q", in: "query", schema: { type: "string" } },
            { name: "tag", in: "query", schema: { type: "string" } },
          ],
          responses: { ...ok(pageSchema(modelSummarySchema)), ...errors(400) },
        },
        post: {
          summary: "Create a model",
          requestBody: body(createModelSchema),
          responses: { ...ok(modelSummarySchema, "201", "Created"), ...errors(400, 409) },
        },
      },
      "/api/models/{name}": {
        parameters: [name],
        get: { summary: "Get a model", responses: { ...ok(modelSummarySchema), ...errors(404) } },
        patch: {
          summary: "Update a model",
          requestBody: body(updateModelSchema),
          responses: { ...ok(modelSummarySchema), ...errors(400, 404) },
        },
        delete: {
          summary: "Delete a model and its versions",
          responses: { "204": { description: "Deleted" }, ...errors(404, 409) },
        },
      },
      "/api/models/{name}/versions": {
        parameters: [name],
        get: {
          summary: "List versions, newest first",
          parameters: pageParams,
          responses: { ...ok(pageSchema(versionSummarySchema)), ...errors(404) },
        },
        post: {
          summary: "Upload a version (raw body with X-Filename, or multipart/form-data with a 'file' part)",
          requestBody: {
            required: true,
            content: {
              "application/octet-stream": { schema: { type: "string", format: "binary" } },
              "multipart/form-data": {
                schema: {
                  type: "object",
                  properties: {
                    description: { type: "string" },
                    tags: { type: "string" },
                    file: { type: "string", format: "binary" },
                  },
                  required: ["file"],
                },
              },
            },
          },
          responses: { ...ok(versionSummarySchema, "202", "Stored; validation queued"), ...errors(400, 404, 413, 415) },
        },
      },
      "/api/models/{name}/versions/{version}": {
        parameters: [name, version],
        get: { summary: "Get a version", responses: { ...ok(versionDetailSchema), ...errors(400, 404) } },
        patch: {
          summary: "Update description and tags",
          requestBody: body(updateModelSchema),
          responses: { ...ok(versionDetailSchema), ...errors(400, 404) },
        },
        delete: {
          summary: "Delete a version that is not in Production",
          responses: { "204": { description: "Deleted" }, ...errors(404, 409) },
        },
      },
      "/api/models/{name}/versions/{version}/artifact": {
        parameters: [name, version],
        get: {
          summary: "Download the artifact",
          responses: {
            "200": { description: "The file", content: { "application/octet-stream": {} } },
            ...errors(404),
          },
        },
      },
      "/api/models/{name}/versions/{version}/stage": {
        parameters: [name, version],
        post: {
          summary: "Move the version to a stage",
          requestBody: body(transitionSchema),
          responses: { ...ok(versionDetailSchema), ...errors(400, 404, 409) },
        },
      },
      "/api/models/{name}/rollback": {
        parameters: [name],
        post: {
          summary: "Make the previous Production version Production again",
          requestBody: body(rollbackSchema),
          responses: { ...ok(versionDetailSchema), ...errors(404, 409) },
        },
      },
      "/api/models/{name}/versions/{version}/metrics": {
        parameters: [name, version],
        get: {
          summary: "Metric history",
          responses: { ...ok(z.object({ metrics: z.array(metricSchema) })), ...errors(404) },
        },
        post: {
          summary: "Log one metric or { metrics: [...] }",
          requestBody: body(z.union([metricInputSchema, z.object({ metrics: z.array(metricInputSchema) })])),
          responses: { ...ok(z.object({ metrics: z.array(metricSchema) }), "201", "Logged"), ...errors(400, 404) },
        },
      },
      "/api/models/{name}/datasets": {
        parameters: [name],
        get: {
          summary: "List datasets, newest first",
          parameters: pageParams,
          responses: { ...ok(pageSchema(datasetDtoSchema)), ...errors(404) },
        },
        post: {
          summary:
            "Upload a labelled dataset, CSV with a header or JSON Lines (raw body with X-Filename, or multipart/form-data with a 'file' part); it is profiled as it streams",
          parameters: Object.entries(z.toJSONSchema(datasetUploadOptionsSchema).properties ?? {}).map(
            ([param, schema]) => ({ name: param, in: "query", schema }),
          ),
          requestBody: {
            required: true,
            content: {
              ...Object.fromEntries(
                [...DATASET_CONTENT_TYPES, "application/octet-stream"].map((type) => [type, binary]),
              ),
              "multipart/form-data": {
                schema: {
                  type: "object",
                  properties: {
                    name: { type: "string" },
                    labelColumn: { type: "string" },
                    file: { type: "string", format: "binary" },
                  },
                  required: ["file"],
                },
              },
            },
          },
          responses: {
            ...ok(datasetDtoSchema, "201", "Stored and profiled"),
            ...errors(400, 404, 409, 413, 415),
          },
        },
      },
      "/api/models/{name}/datasets/{id}": {
        parameters: [name, dataset],
        get: { summary: "Get a dataset", responses: { ...ok(datasetDtoSchema), ...errors(404) } },
        patch: {
          summary: "Rename, or set or clear the label column (an existing column, or null)",
          requestBody: body(updateDatasetSchema),
          responses: { ...ok(datasetDtoSchema), ...errors(400, 404, 409) },
        },
        delete: {
          summary: "Delete a dataset and its file (refused while an evaluation of it is queued or running)",
          responses: { "204": { description: "Deleted" }, ...errors(404, 409) },
        },
      },
      "/api/models/{name}/datasets/{id}/download": {
        parameters: [name, dataset],
        get: {
          summary: "Download the dataset's file as uploaded",
          responses: {
            "200": { description: "The file", content: { "text/csv": binary, "application/jsonl": binary } },
            ...errors(404),
          },
        },
      },
      "/api/endpoints": {
        get: {
          summary: "List endpoints (models deployed now or before), deployed first",
          parameters: pageParams,
          responses: { ...ok(pageSchema(endpointDtoSchema)), ...errors(400) },
        },
      },
      "/api/models/{name}/endpoint": {
        parameters: [name],
        get: {
          summary: "The model's endpoint: status, served versions, URLs, replicas and the last 5 minutes' stats",
          responses: { ...ok(endpointDtoSchema), ...errors(404) },
        },
        post: {
          summary: "Deploy: serve the Ready Production and Staging versions (the body, optional, sets settings)",
          requestBody: { required: false, content: jsonContent(updateDeploymentSchema, "input") },
          responses: { ...ok(endpointDtoSchema), ...errors(400, 404, 409) },
        },
        patch: {
          summary: "Change batching, queue and timeout settings",
          requestBody: body(updateDeploymentSchema),
          responses: { ...ok(endpointDtoSchema), ...errors(400, 404, 409) },
        },
        delete: {
          summary: "Undeploy: stop serving; promotions leave the endpoint off until the next deploy",
          responses: { ...ok(endpointDtoSchema), ...errors(404, 409) },
        },
      },
      "/api/models/{name}/endpoint/metrics": {
        parameters: [name],
        get: {
          summary: "Request statistics over time: latency percentiles, throughput, errors, batch sizes",
          parameters: [
            {
              name: "range",
              in: "query",
              schema: { type: "string", enum: endpointRangeSchema.options, default: "15m" },
            },
            { name: "version", in: "query", schema: { type: "integer", minimum: 1 } },
          ],
          responses: { ...ok(endpointSeriesSchema), ...errors(400, 404) },
        },
      },
      "/api/models/{name}/endpoint/accuracy": {
        parameters: [name],
        get: {
          summary: "Online accuracy (or mean absolute error) of logged predictions with feedback, per hour or day",
          parameters: [
            {
              name: "bucket",
              in: "query",
              schema: { type: "string", enum: onlineAccuracyBucketSchema.options, default: "hour" },
            },
            { name: "version", in: "query", schema: { type: "integer", minimum: 1 } },
          ],
          responses: { ...ok(onlineAccuracySeriesSchema), ...errors(400, 404) },
        },
      },
      "/api/models/{name}/feedback": {
        parameters: [name],
        post: {
          summary: "Ground truth for logged predictions, by the request id the endpoint returned (all or nothing)",
          requestBody: body(feedbackSchema),
          responses: { ...ok(feedbackResultSchema), ...errors(400, 404) },
        },
      },
      "/api/jobs": {
        get: {
          summary: "List jobs",
          parameters: [
            ...pageParams,
            ...["state", "kind", "modelName"].map((param) => ({
              name: param,
              in: "query",
              schema: { type: "string" },
            })),
          ],
          responses: ok(pageSchema(jobDtoSchema)),
        },
      },
      "/api/jobs/{id}": {
        parameters: [{ name: "id", in: "path", required: true, schema: { type: "string", format: "uuid" } }],
        get: { summary: "Get a job", responses: { ...ok(jobDtoSchema), ...errors(404) } },
      },
    },
  };
}
