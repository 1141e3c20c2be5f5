import { Readable } from "node:stream";
import { apiRoute, parseVersionParam } from "@/lib/api/handler";
import { artifactStore } from "@/lib/artifacts";
import { findVersionRow } from "@/lib/registry";

type Params = { name: string; version: string };

const EXTENSION = { ONNX: ".onnx", KERAS_H5: ".h5", TFJS: ".json", PMML: ".pmml", UNKNOWN: "" } as const;

/** Streams the version's artifact; the name says which model and version it is. */
export const GET = apiRoute<Params>(
  async ({ params }) => {
    const row = await findVersionRow(params.name, parseVersionParam(params.version));
    const filename = `${row.model.name}-v${row.version}${EXTENSION[row.format]}`;
    const stream = Readable.toWeb(artifactStore().openRead(row.artifactSha256)) as ReadableStream<Uint8Array>;
    return new Response(stream, {
      headers: {
        "content-type": "application/octet-stream",
        "content-length": row.sizeBytes.toString(),
        "content-disposition": `attachment; filename="${filename}"`,
        etag: `"${row.artifactSha256}"`,
        "cache-control": "private, max-age=31536000, immutable",
      },
    });
  },
  { permission: "models.read" },
);
