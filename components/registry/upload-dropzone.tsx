"use client";

import { useState, type ReactNode } from "react";
import type { VersionSummary } from "@/lib/registry/schemas";
import { modelApiPath } from "@/components/paths";
import { FileDropzone } from "@/components/ui/file-dropzone";
import { formatBytes, formatDuration, parseTagList } from "@/components/ui/format";
import { inputClasses } from "@/components/ui/input-classes";

export interface UploadDropzoneProps {
  modelName: string;
  /** Called with the new version (status PENDING) once the server accepted the file. */
  onUploaded: (version: VersionSummary) => void;
  /** Shown inside the drop target, below the controls (the versions table). */
  children?: ReactNode;
}

/** Sent as headers with the raw body; percent-encoded because header values must be ASCII. */
function uploadHeaders(file: File, description: string, tags: string): Record<string, string> {
  const headers: Record<string, string> = { "X-Filename": encodeURIComponent(file.name) };
  if (description.trim()) headers["X-Description"] = encodeURIComponent(description.trim());
  const tagList = parseTagList(tags);
  if (tagList.length > 0) headers["X-Tags"] = encodeURIComponent(tagList.join(","));
  return headers;
}

/** Uploads model files as new versions, with an optional description and tags. */
export function UploadDropzone({ modelName, onUploaded, children }: UploadDropzoneProps) {
  const [description, setDescription] = useState("");
  const [tags, setTags] = useState("");

  return (
    <FileDropzone<VersionSummary>
      target={(file) => ({
        url: `${modelApiPath(modelName)}/versions`,
        headers: uploadHeaders(file, description, tags),
      })}
      noun="version"
      title="Upload a new version"
      hint="Drag and drop a model file (.onnx) anywhere in this area, or choose one."
      regionLabel="Versions and upload"
      inputLabel="Model file to upload"
      details={{
        toggleLabel: "Add description & tags",
        render: (busy) => (
          <>
            <label className="block space-y-1 text-sm">
              <span className="font-medium text-zinc-800">Description (optional)</span>
              <input
                className={inputClasses()}
                value={description}
                onChange={(event) => setDescription(event.target.value)}
                disabled={busy}
                maxLength={5000}
              />
            </label>
            <label className="block space-y-1 text-sm">
              <span className="font-medium text-zinc-800">Tags (optional, comma-separated)</span>
              <input
                className={inputClasses()}
                value={tags}
                onChange={(event) => setTags(event.target.value)}
                disabled={busy}
              />
            </label>
          </>
        ),
      }}
      describeResult={(version, file, durationMs) => (
        <>
          Uploaded {formatBytes(file.size)} in {formatDuration(durationMs)} as version{" "}
          <strong className="font-medium">v{version.version}</strong>; it is being validated, its status updates below.
        </>
      )}
      onUploaded={(version) => {
        setDescription("");
        setTags("");
        onUploaded(version);
      }}
      testIds={{
        root: "upload-dropzone",
        input: "upload-input",
        progress: "upload-progress",
        cancel: "upload-cancel",
        error: "upload-error",
      }}
    >
      {children}
    </FileDropzone>
  );
}
