"use client";

import { useState, type ReactNode } from "react";
import type { DatasetDto } from "@/lib/datasets/schemas";
import { datasetsApiPath } from "@/components/paths";
import { FileDropzone } from "@/components/ui/file-dropzone";
import { formatBytes, formatDuration, formatNumber } from "@/components/ui/format";
import { buildHref } from "@/components/ui/pagination";
import { inputClasses } from "@/components/ui/input-classes";

export interface DatasetUploadDropzoneProps {
  modelName: string;
  onUploaded: (dataset: DatasetDto) => void;
  /** Shown inside the drop target, below the controls (the datasets table). */
  children?: ReactNode;
}

const ACCEPT = ".csv,.jsonl,.ndjson,.json,.txt,text/csv,application/jsonl,application/x-ndjson";

/** Uploads CSV or JSON Lines files as datasets; name and label column are optional. */
export function DatasetUploadDropzone({ modelName, onUploaded, children }: DatasetUploadDropzoneProps) {
  const [name, setName] = useState("");
  const [labelColumn, setLabelColumn] = useState("");

  return (
    <FileDropzone<DatasetDto>
      target={(file) => ({
        url: buildHref(datasetsApiPath(modelName), { name: name.trim(), labelColumn: labelColumn.trim() }),
        headers: { "X-Filename": encodeURIComponent(file.name) },
      })}
      noun="dataset"
      title="Upload a dataset"
      hint="Drag and drop a labelled CSV (with a header) or JSON Lines file here, or choose one."
      regionLabel="Datasets and upload"
      inputLabel="Dataset file to upload"
      accept={ACCEPT}
      details={{
        toggleLabel: "Set name & label column",
        render: (busy) => (
          <>
            <label className="block space-y-1 text-sm">
              <span className="font-medium text-zinc-800">Name (optional; default: the file name)</span>
              <input
                className={inputClasses()}
                value={name}
                onChange={(event) => setName(event.target.value)}
                disabled={busy}
                maxLength={100}
                data-testid="dataset-upload-name"
              />
            </label>
            <label className="block space-y-1 text-sm">
              <span className="font-medium text-zinc-800">
                Label column (optional; default: label, target, y or class)
              </span>
              <input
                className={inputClasses()}
                value={labelColumn}
                onChange={(event) => setLabelColumn(event.target.value)}
                disabled={busy}
                data-testid="dataset-upload-label"
              />
            </label>
          </>
        ),
      }}
      describeResult={(dataset, file, durationMs) => (
        <>
          Uploaded {formatBytes(file.size)} in {formatDuration(durationMs)} as dataset{" "}
          <strong className="font-medium">{dataset.name}</strong>: {formatNumber(dataset.rowCount)} rows,{" "}
          {formatNumber(dataset.columns.length)} columns,{" "}
          {dataset.labelColumn ? <>label column {dataset.labelColumn}</> : "no label column detected"}.
        </>
      )}
      onUploaded={(dataset) => {
        setName("");
        setLabelColumn("");
        onUploaded(dataset);
      }}
      testIds={{
        root: "dataset-dropzone",
        input: "dataset-upload-input",
        progress: "dataset-upload-progress",
        cancel: "dataset-upload-cancel",
        error: "dataset-error",
      }}
    >
      {children}
    </FileDropzone>
  );
}
