import { Readable } from "node:stream";
import { apiRoute } from "@/lib/api/handler";
import { artifactStore } from "@/lib/artifacts";
import { FILE_EXTENSION, findDatasetRow, MEDIA_TYPE } from "@/lib/datasets";

type Params = { name: string; id: string };

/** Streams the dataset's file as uploaded, named after the dataset. */
export const GET = apiRoute<Params>(
  async ({ params }) => {
    const row = await findDatasetRow(params.name, params.id);
    const stream = Readable.toWeb(artifactStore().openRead(row.artifactSha256)) as ReadableStream<Uint8Array>;
    return new Response(stream, {
      headers: {
        "content-type": MEDIA_TYPE[row.format],
        "content-length": row.sizeBytes.toString(),
        "content-disposition": `attachment; filename="${row.name}${FILE_EXTENSION[row.format]}"`,
        etag: `"${row.artifactSha256}"`,
        // Names can be reused after a delete, so the browser must revalidate (the ETag makes that cheap).
        "cache-control": "private, no-cache",
      },
    });
  },
  { permission: "models.read" },
);
