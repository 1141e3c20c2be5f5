import type { Metadata } from "next";
import Link from "next/link";
import { listModels, listModelsQuerySchema } from "@/lib/registry";
import { ModelSearch } from "@/components/registry/model-search";
import { ModelTable } from "@/components/registry/model-table";
import { NewModelDialog } from "@/components/registry/new-model-dialog";
import { parseSearchParams, type RawSearchParams } from "@/components/search-params";
import { EmptyState } from "@/components/ui/empty-state";
import { formatNumber } from "@/components/ui/format";
import { Pagination } from "@/components/ui/pagination";

export const dynamic = "force-dynamic";

export const metadata: Metadata = { title: "Models" };

export default async function ModelsPage({ searchParams }: { searchParams: Promise<RawSearchParams> }) {
  const query = parseSearchParams(listModelsQuerySchema, await searchParams);
  const models = await listModels(query);
  const filtered = Boolean(query.q || query.tag);

  return (
    <div className="space-y-5">
      <div className="flex flex-wrap items-end justify-between gap-3">
        <div>
          <h1 className="text-xl font-semibold tracking-tight text-zinc-900">Models</h1>
          <p className="text-sm text-zinc-600">
            {formatNumber(models.total)} {filtered ? "matching" : "registered"}{" "}
            {models.total === 1 ? "model" : "models"}
          </p>
        </div>
        <NewModelDialog triggerTestId="new-model-button" />
      </div>

      <ModelSearch q={query.q} tag={query.tag} />

      {models.items.length > 0 ? (
        <>
          <ModelTable models={models.items} />
          <Pagination
            path="/models"
            query={{ q: query.q, tag: query.tag }}
            page={models.page}
            pageSize={models.pageSize}
            total={models.total}
            noun="models"
          />
        </>
      ) : models.total > 0 ? (
        <EmptyState
          title={`Page ${formatNumber(query.page)} is past the last model`}
          action={
            <Link href="/models" className="text-sm font-medium text-blue-700 hover:underline">
              Go to the first page
            </Link>
          }
        />
      ) : filtered ? (
        <EmptyState
          title="No models match"
          description={
            <>
              Nothing matches {query.q && <>“{query.q}”</>}
              {query.q && query.tag && " with "}
              {query.tag && <>the tag “{query.tag}”</>}. Try another search or clear the filters.
            </>
          }
          action={
            <Link href="/models" className="text-sm font-medium text-blue-700 hover:underline">
              Clear filters
            </Link>
          }
        />
      ) : (
        <EmptyState
          title="No models yet"
          description="A model collects the versions of one ML model: upload ONNX files as versions, validate them, and promote one to Staging and Production."
          action={<NewModelDialog triggerLabel="Create your first model" />}
        />
      )}
    </div>
  );
}
