import { apiRoute, jsonResponse, parseQuery } from "@/lib/api/handler";
import { receiveUpload, uploadBody } from "@/lib/api/upload";
import { datasetUploadLimit } from "@/lib/config";
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
    const limit = datasetUploadLimit();
    const dataset = await receiveUpload(req, limit, async (upload) => {
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
        { maxBytes: limit.maxBytes },
      );
    });
    return jsonResponse(dataset, 201, {
      location: `/api/models/${encodeURIComponent(params.name)}/datasets/${dataset.id}`,
    });
  },
  { permission: "models.write", body: uploadBody({ rawTypes: DATASET_CONTENT_TYPES, what: "the dataset" }) },
);
