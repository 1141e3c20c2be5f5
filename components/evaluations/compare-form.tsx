"use client";

import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { comparePath } from "@/components/paths";
import { Button } from "@/components/ui/button";
import { SelectField } from "@/components/ui/field";

export interface CompareFormProps {
  modelName: string;
  datasets: { id: string; name: string }[];
  /** Versions offered, newest first, with those evaluated on the dataset marked. */
  versions: { version: number; evaluated: boolean }[];
  selected: { datasetId: string; versions: number[] };
}

/** Picks a dataset and the versions to put side by side; the choice lives in the URL. */
export function CompareForm({ modelName, datasets, versions, selected }: CompareFormProps) {
  const router = useRouter();
  const [chosen, setChosen] = useState(() => new Set(selected.versions));

  function toggle(version: number) {
    setChosen((current) => {
      const next = new Set(current);
      if (!next.delete(version)) next.add(version);
      return next;
    });
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    router.push(
      comparePath(
        modelName,
        [...chosen].sort((a, b) => a - b),
        selected.datasetId,
      ),
    );
  }

  return (
    <form onSubmit={submit} className="space-y-3" aria-label="Versions to compare">
      <SelectField
        label="Dataset"
        value={selected.datasetId}
        onChange={(event) => router.push(comparePath(modelName, [...chosen], event.target.value))}
        className="max-w-sm"
        data-testid="compare-dataset"
      >
        {datasets.map((dataset) => (
          <option key={dataset.id} value={dataset.id}>
            {dataset.name}
          </option>
        ))}
      </SelectField>
      <fieldset className="space-y-1">
        <legend className="text-sm font-medium text-zinc-800">Versions</legend>
        <div className="flex flex-wrap gap-x-4 gap-y-1">
          {versions.map(({ version, evaluated }) => (
            <label key={version} className="flex items-center gap-1.5 text-sm text-zinc-700">
              <input
                type="checkbox"
                checked={chosen.has(version)}
                onChange={() => toggle(version)}
                data-testid="compare-version"
                value={version}
              />
              v{version}
              {!evaluated && <span className="text-xs text-zinc-400">(not evaluated)</span>}
            </label>
          ))}
        </div>
      </fieldset>
      <Button
        type="submit"
        variant="primary"
        size="sm"
        disabled={chosen.size < 2}
        disabledReason="Choose at least two versions"
      >
        Compare
      </Button>
    </form>
  );
}
