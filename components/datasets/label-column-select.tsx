"use client";

import { useRouter } from "next/navigation";
import { useId, useState } from "react";
import type { DatasetDto } from "@/lib/datasets/schemas";
import { apiFetch, errorMessage } from "@/components/api-client";
import { datasetApiPath } from "@/components/paths";
import { Alert } from "@/components/ui/alert";
import { inputClasses } from "@/components/ui/input-classes";
import { Spinner } from "@/components/ui/spinner";

const NONE = "";

/** Chooses which column holds the labels (or none); saves at once and refreshes the page. */
export function LabelColumnSelect({ dataset }: { dataset: DatasetDto }) {
  const router = useRouter();
  const id = useId();
  const [value, setValue] = useState(dataset.labelColumn ?? NONE);
  const [basis, setBasis] = useState(dataset.labelColumn);
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);

  // A refreshed page (after this save or someone else's) resets the choice to the stored one.
  if (basis !== dataset.labelColumn) {
    setBasis(dataset.labelColumn);
    setValue(dataset.labelColumn ?? NONE);
  }

  async function save(next: string) {
    const previous = value;
    setValue(next);
    setPending(true);
    setError(null);
    try {
      await apiFetch<DatasetDto>(datasetApiPath(dataset.modelName, dataset.id), {
        method: "PATCH",
        json: { labelColumn: next === NONE ? null : next },
      });
      router.refresh();
    } catch (caught) {
      setValue(previous);
      setError(errorMessage(caught));
    } finally {
      setPending(false);
    }
  }

  return (
    <div className="space-y-2">
      <label htmlFor={id} className="block text-sm font-medium text-zinc-800">
        Label column
      </label>
      <div className="flex items-center gap-2">
        <select
          id={id}
          className={inputClasses({ className: "max-w-xs font-mono" })}
          value={value}
          onChange={(event) => void save(event.target.value)}
          disabled={pending}
          data-testid="dataset-label-column"
        >
          <option value={NONE}>None</option>
          {dataset.columns.map((column) => (
            <option key={column.name} value={column.name}>
              {column.name}
            </option>
          ))}
        </select>
        {pending && <Spinner className="text-zinc-500" />}
      </div>
      <p className="text-xs text-zinc-500">
        The true value of each row, compared with the model&apos;s prediction when a version is evaluated on this
        dataset. Detected from the names label, target, y and class.
      </p>
      {error && <Alert data-testid="dataset-error">{error}</Alert>}
    </div>
  );
}
