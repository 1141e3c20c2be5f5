import { Readable } from "node:stream";
import { apiRoute } from "@/lib/api/handler";
import { artifactStore } from "@/lib/artifacts";
import { evaluationPredictions } from "@/lib/evaluate/evaluations";

/** The predictions CSV of a finished evaluation: row, predicted class (or value), probabilities. */
export const GET = apiRoute<{ name: string; id: string }>(
  async ({ params }) => {
    const { sha256, filename } = await evaluationPredictions(params.name, params.id);
    const stream = Readable.toWeb(artifactStore().openRead(sha256)) as ReadableStream<Uint8Array>;
    return new Response(stream, {
      headers: {
        "content-type": "text/csv; charset=utf-8",
        "content-disposition": `attachment; filename="${filename}"`,
        etag: `"${sha256}"`,
      },
    });
  },
  { permission: "models.read" },
);
