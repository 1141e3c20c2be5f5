"use client";

import { useRouter } from "next/navigation";
import { apiFetch } from "@/components/api-client";
import { datasetApiPath, modelPath } from "@/components/paths";
import { ConfirmActionButton } from "@/components/ui/confirm-dialog";

/** Deletes the dataset (the server refuses while an evaluation of it runs), then returns to the model. */
export function DeleteDatasetButton({ modelName, id, name }: { modelName: string; id: string; name: string }) {
  const router = useRouter();

  async function deleteDataset() {
    await apiFetch<void>(datasetApiPath(modelName, id), { method: "DELETE" });
    router.push(modelPath(modelName));
  }

  return (
    <ConfirmActionButton
      testId="delete-dataset"
      variant="danger"
      size="sm"
      title={`Delete dataset ${name}?`}
      description={
        <>
          The dataset, its file and its evaluations are removed permanently; metrics logged from those evaluations stay
          on their versions. This cannot be undone.
        </>
      }
      confirmLabel="Delete dataset"
      confirmVariant="danger"
      onConfirm={deleteDataset}
    >
      Delete dataset
    </ConfirmActionButton>
  );
}
