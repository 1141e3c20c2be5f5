"use client";

import { useEffect, useId, useRef, useState, type DragEvent, type ReactNode } from "react";
import type { VersionSummary } from "@/lib/registry/schemas";
import { errorMessage, isAbortError, uploadFile, type UploadHandle } from "@/components/api-client";
import { modelApiPath } from "@/components/paths";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { cn } from "@/components/ui/cn";
import { formatBytes, formatDuration, formatPercent, formatSpeed, parseTagList } from "@/components/ui/format";
import { inputClasses } from "@/components/ui/input-classes";
import { ProgressBar, type ProgressTone } from "@/components/ui/progress-bar";
import { Spinner } from "@/components/ui/spinner";

type UploadState =
  | { phase: "idle" }
  | { phase: "uploading"; file: File; loaded: number; total: number; startedAt: number }
  | { phase: "uploaded"; file: File; version: VersionSummary; durationMs: number }
  | { phase: "cancelled"; file: File }
  | { phase: "failed"; file: File | null; message: string };

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

export function UploadDropzone({ modelName, onUploaded, children }: UploadDropzoneProps) {
  const [state, setState] = useState<UploadState>({ phase: "idle" });
  const [dragging, setDragging] = useState(false);
  const [description, setDescription] = useState("");
  const [tags, setTags] = useState("");
  const [detailsOpen, setDetailsOpen] = useState(false);
  const inputRef = useRef<HTMLInputElement>(null);
  const uploadRef = useRef<UploadHandle<VersionSummary> | null>(null);
  const detailsId = useId();

  // Leaving the page must not leave a transfer running in the background.
  useEffect(() => () => uploadRef.current?.abort(), []);

  const busy = state.phase === "uploading";

  async function start(file: File) {
    const upload = uploadFile<VersionSummary>(`${modelApiPath(modelName)}/versions`, file, {
      headers: uploadHeaders(file, description, tags),
      onProgress: ({ loaded, total }) =>
        setState((current) =>
          current.phase === "uploading" && current.file === file ? { ...current, loaded, total } : current,
        ),
    });
    uploadRef.current = upload;
    const startedAt = performance.now();
    setState({ phase: "uploading", file, loaded: 0, total: file.size, startedAt });
    try {
      const version = await upload.result;
      setState({ phase: "uploaded", file, version, durationMs: performance.now() - startedAt });
      setDescription("");
      setTags("");
      onUploaded(version);
    } catch (error) {
      setState(
        isAbortError(error) ? { phase: "cancelled", file } : { phase: "failed", file, message: errorMessage(error) },
      );
    } finally {
      if (uploadRef.current === upload) uploadRef.current = null;
    }
  }

  function acceptFiles(files: FileList | null) {
    if (!files || files.length === 0 || busy) return;
    if (files.length > 1) {
      setState({ phase: "failed", file: null, message: "Drop one file at a time: each file becomes its own version." });
      return;
    }
    const file = files[0];
    if (file) void start(file);
  }

  function onDragOver(event: DragEvent<HTMLElement>) {
    if (!event.dataTransfer.types.includes("Files")) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = busy ? "none" : "copy";
    if (!busy) setDragging(true);
  }

  function onDragLeave(event: DragEvent<HTMLElement>) {
    // dragleave also fires when moving onto a child; only a real exit ends the highlight.
    if (!event.currentTarget.contains(event.relatedTarget as Node | null)) setDragging(false);
  }

  function onDrop(event: DragEvent<HTMLElement>) {
    event.preventDefault();
    setDragging(false);
    acceptFiles(event.dataTransfer.files);
  }

  return (
    <section
      aria-label="Versions and upload"
      data-testid="upload-dropzone"
      onDragEnter={onDragOver}
      onDragOver={onDragOver}
      onDragLeave={onDragLeave}
      onDrop={onDrop}
      className={cn(
        "relative space-y-4 rounded-xl border-2 border-dashed p-4 transition-colors",
        dragging ? "border-blue-500 bg-blue-50/60" : "border-zinc-300 bg-white/60",
      )}
    >
      <div className="flex flex-wrap items-center justify-between gap-3">
        <div className="flex items-center gap-3">
          <UploadIcon />
          <div>
            <p className="text-sm font-medium text-zinc-900">Upload a new version</p>
            <p className="text-xs text-zinc-600">
              Drag and drop a model file (.onnx) anywhere in this area, or choose one.
            </p>
          </div>
        </div>
        <div className="flex items-center gap-2">
          <Button
            variant="ghost"
            size="sm"
            aria-expanded={detailsOpen}
            aria-controls={detailsId}
            onClick={() => setDetailsOpen((open) => !open)}
          >
            {detailsOpen ? "Hide details" : "Add description & tags"}
          </Button>
          <Button variant="primary" onClick={() => inputRef.current?.click()} disabled={busy}>
            Choose file…
          </Button>
          <input
            ref={inputRef}
            type="file"
            className="sr-only"
            tabIndex={-1}
            aria-label="Model file to upload"
            data-testid="upload-input"
            onChange={(event) => {
              acceptFiles(event.target.files);
              // Reset so choosing the same file again still fires a change.
              event.target.value = "";
            }}
          />
        </div>
      </div>

      <div id={detailsId} hidden={!detailsOpen} className="grid gap-3 sm:grid-cols-2">
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
      </div>

      <UploadStatus state={state} onCancel={() => uploadRef.current?.abort()} />

      {children}

      {dragging && (
        <div className="pointer-events-none absolute inset-0 flex items-center justify-center rounded-xl bg-blue-50/85">
          <p className="rounded-lg bg-white px-4 py-2 text-sm font-medium text-blue-800 shadow">
            Drop to upload a new version
          </p>
        </div>
      )}
    </section>
  );
}

function UploadStatus({ state, onCancel }: { state: UploadState; onCancel: () => void }) {
  switch (state.phase) {
    case "idle":
      return null;
    case "uploading":
      return <UploadingRow state={state} onCancel={onCancel} />;
    case "uploaded":
      // The finished bar stays, so the outcome is visible even for uploads too quick to watch.
      return (
        <TransferRow file={state.file} percent={100} tone="green">
          <span className="text-emerald-800">
            Uploaded {formatBytes(state.file.size)} in {formatDuration(state.durationMs)} as version{" "}
            <strong className="font-medium">v{state.version.version}</strong>; it is being validated, its status updates
            below.
          </span>
        </TransferRow>
      );
    case "cancelled":
      return (
        <Alert tone="warning">
          Upload of <strong className="font-medium">{state.file.name}</strong> cancelled.
        </Alert>
      );
    case "failed":
      return (
        <Alert data-testid="upload-error">
          {state.file ? (
            <>
              Could not upload <strong className="font-medium">{state.file.name}</strong>: {state.message}
            </>
          ) : (
            state.message
          )}
        </Alert>
      );
  }
}

function UploadingRow({
  state,
  onCancel,
}: {
  state: Extract<UploadState, { phase: "uploading" }>;
  onCancel: () => void;
}) {
  const percent = state.total > 0 ? (state.loaded / state.total) * 100 : 0;
  const elapsedSeconds = (performance.now() - state.startedAt) / 1000;
  // The first fraction of a second gives wild rates; wait for a meaningful sample.
  const bytesPerSecond = elapsedSeconds > 0.2 ? state.loaded / elapsedSeconds : null;
  const allSent = state.total > 0 && state.loaded >= state.total;
  return (
    <TransferRow
      file={state.file}
      percent={percent}
      tone="blue"
      action={
        <Button size="sm" onClick={onCancel} data-testid="upload-cancel">
          Cancel
        </Button>
      }
    >
      {allSent ? (
        <>
          <Spinner className="text-blue-600" /> All {formatBytes(state.total)} sent; the server is storing the file…
        </>
      ) : (
        <>
          <span>
            {formatBytes(state.loaded)} of {formatBytes(state.total)}
          </span>
          <span aria-hidden="true">·</span>
          <span>{formatPercent(percent)}</span>
          {bytesPerSecond !== null && (
            <>
              <span aria-hidden="true">·</span>
              <span>{formatSpeed(bytesPerSecond)}</span>
            </>
          )}
        </>
      )}
    </TransferRow>
  );
}

/** File name and size, the progress bar (test id `upload-progress`) and a status line. */
function TransferRow({
  file,
  percent,
  tone,
  action,
  children,
}: {
  file: File;
  percent: number;
  tone: ProgressTone;
  action?: ReactNode;
  children: ReactNode;
}) {
  return (
    <div className="space-y-2 rounded-lg border border-zinc-200 bg-white p-3">
      <div className="flex flex-wrap items-center justify-between gap-2 text-sm">
        <p className="min-w-0 truncate">
          <span className="font-medium text-zinc-900">{file.name}</span>{" "}
          <span className="text-zinc-500">({formatBytes(file.size)})</span>
        </p>
        {action}
      </div>
      <ProgressBar percent={percent} tone={tone} label={`Upload of ${file.name}`} data-testid="upload-progress" />
      <p className="flex flex-wrap items-center gap-x-2 text-xs text-zinc-600 tabular-nums">{children}</p>
    </div>
  );
}

function UploadIcon() {
  return (
    <svg
      aria-hidden="true"
      viewBox="0 0 24 24"
      className="size-8 shrink-0 text-zinc-400"
      fill="none"
      stroke="currentColor"
      strokeWidth={1.5}
    >
      <path
        strokeLinecap="round"
        strokeLinejoin="round"
        d="M12 16V4m0 0-4 4m4-4 4 4M4 16v2a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2v-2"
      />
    </svg>
  );
}
