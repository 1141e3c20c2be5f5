import { apiRoute, jsonResponse, parseQuery } from "@/lib/api/handler";
import { receiveUpload, uploadBody } from "@/lib/api/upload";
import { modelUploadLimit } from "@/lib/config";
import { createVersionFromUpload, descriptionSchema, listVersions, paginationSchema, tagsSchema } from "@/lib/registry";

type Params = { name: string };

export const GET = apiRoute<Params>(
  async ({ req, params }) => listVersions(params.name, parseQuery(req, paginationSchema)),
  {
    permission: "models.read",
  },
);

/** Upload a new version: the raw file as the body, or multipart/form-data with a `file` part. */
export const POST = apiRoute<Params>(
  async ({ req, params, actor }) => {
    const limit = modelUploadLimit();
    const version = await receiveUpload(req, limit, async (upload) =>
      createVersionFromUpload(
        {
          modelName: params.name,
          body: upload.stream,
          originalFilename: upload.filename,
          description: descriptionSchema.parse(upload.fields.description ?? ""),
          tags: tagsSchema.parse(
            (upload.fields.tags ?? "")
              .split(",")
              .map((tag) => tag.trim())
              .filter(Boolean),
          ),
          actor: actor.name,
        },
        { maxBytes: limit.maxBytes },
      ),
    );
    return jsonResponse(version, 202, {
      location: `/api/models/${encodeURIComponent(params.name)}/versions/${version.version}`,
    });
  },
  { permission: "versions.write", body: uploadBody() },
);
