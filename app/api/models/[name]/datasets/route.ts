import { apiRoute, jsonResponse, parseQuery } from "@/lib/api/handler";
import { receiveUpload } from "@/lib/api/upload";
import { config } from "@/lib/config";
import {
  createDatasetFromUpload,
  DATASET_CONTENT_TYPES,
  datasetUploadOptionsSchema,
  listDatasets,
} from "@/lib/datasets";
import { paginationSchema } from "@/lib/registry";

type Params = { name: string };

export const GET = apiRoute<Params>(
  async ({ req, params }) => listDatasets(params.name, parseQuery(req, paginationSchema)),
  { permission: "models.read" },
);

/**
 * Upload a dataset: the raw file as the body (`?name=` and `?labelColumn=` optional), or
 * multipart/form-data with a `file` part (`name` and `labelColumn` may also be fields before it).
 */
export const POST = apiRoute<Params>(
  async ({ req, params, actor }) => {
    // Checked before the body is read, so a bad option does not cost an upload.
    const query = parseQuery(req, datasetUploadOptionsSchema);
    const maxBytes = config().MAX_DATASET_BYTES;
    const dataset = await receiveUpload(
      req,
      maxBytes,
      async (upload) => {
        const { name, labelColumn } = datasetUploadOptionsSchema.parse({ ...upload.fields, ...query });
        return createDatasetFromUpload(
          {
            modelName: params.name,
            body: upload.stream,
            filename: upload.filename,
            contentType: upload.contentType,
            name,
            labelColumn,
            actor: actor.name,
          },
          { maxBytes },
        );
      },
      { rawTypes: DATASET_CONTENT_TYPES, what: "the dataset" },
    );
    return jsonResponse(dataset, 201, {
      location: `/api/models/${encodeURIComponent(params.name)}/datasets/${dataset.id}`,
    });
  },
  { permission: "models.write" },
);
