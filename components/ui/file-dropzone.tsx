"use client";

import { useEffect, useId, useRef, useState, type DragEvent, type ReactNode } from "react";
import { errorMessage, isAbortError, uploadFile, type UploadHandle } from "@/components/api-client";
import { Alert } from "./alert";
import { Button } from "./button";
import { cn } from "./cn";
import { formatBytes, formatPercent, formatSpeed } from "./format";
import { ProgressBar, type ProgressTone } from "./progress-bar";
import { Spinner } from "./spinner";

type UploadState<T> =
  | { phase: "idle" }
  | { phase: "uploading"; file: File; loaded: number; total: number; startedAt: number }
  | { phase: "uploaded"; file: File; result: T; durationMs: number }
  | { phase: "cancelled"; file: File }
  | { phase: "failed"; file: File | null; message: string };

export interface DropzoneTestIds {
  root: string;
  input: string;
  progress: string;
  cancel: string;
  error: string;
}

export interface FileDropzoneProps<T> {
  /** Where and how a file is sent (its raw bytes are the body). */
  target: (file: File) => { url: string; headers?: Record<string, string> };
  /** What each file becomes ("version", "dataset"), for messages. */
  noun: string;
  title: string;
  hint: ReactNode;
  /** Accessible names of the drop zone and of the hidden file input. */
  regionLabel: string;
  inputLabel: string;
  /** The picker's accept filter, e.g. ".csv,.jsonl". */
  accept?: string;
  /** Optional fields behind a toggle; they are disabled while a file is sent. */
  details?: { toggleLabel: string; render: (busy: boolean) => ReactNode };
  /** The line under the finished progress bar. */
  describeResult: (result: T, file: File, durationMs: number) => ReactNode;
  onUploaded: (result: T) => void;
  testIds: DropzoneTestIds;
  /** Shown inside the drop target, below the controls (the table of what was uploaded). */
  children?: ReactNode;
}

/**
 * A drop target with a file picker that sends one file at a time with a progress bar, speed and
 * Cancel, then reports the outcome. Callers say where the file goes and what it becomes.
 */
export function FileDropzone<T>({
  target,
  noun,
  title,
  hint,
  regionLabel,
  inputLabel,
  accept,
  details,
  describeResult,
  onUploaded,
  testIds,
  children,
}: FileDropzoneProps<T>) {
  const [state, setState] = useState<UploadState<T>>({ phase: "idle" });
  const [dragging, setDragging] = useState(false);
  const [detailsOpen, setDetailsOpen] = useState(false);
  const inputRef = useRef<HTMLInputElement>(null);
  const uploadRef = useRef<UploadHandle<T> | null>(null);
  const detailsId = useId();

  // Leaving the page must not leave a transfer running in the background.
  useEffect(() => () => uploadRef.current?.abort(), []);

  const busy = state.phase === "uploading";

  async function start(file: File) {
    const { url, headers = {} } = target(file);
    const upload = uploadFile<T>(url, file, {
      headers,
      onProgress: ({ loaded, total }) =>
        setState((current) =>
          current.phase === "uploading" && current.file === file ? { ...current, loaded, total } : current,
        ),
    });
    uploadRef.current = upload;
    const startedAt = performance.now();
    setState({ phase: "uploading", file, loaded: 0, total: file.size, startedAt });
    try {
      const result = await upload.result;
      setState({ phase: "uploaded", file, result, durationMs: performance.now() - startedAt });
      onUploaded(result);
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
      setState({ phase: "failed", file: null, message: `Drop one file at a time: each file becomes its own ${noun}.` });
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
      aria-label={regionLabel}
      data-testid={testIds.root}
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
            <p className="text-sm font-medium text-zinc-900">{title}</p>
            <p className="text-xs text-zinc-600">{hint}</p>
          </div>
        </div>
        <div className="flex items-center gap-2">
          {details && (
            <Button
              variant="ghost"
              size="sm"
              aria-expanded={detailsOpen}
              aria-controls={detailsId}
              onClick={() => setDetailsOpen((open) => !open)}
            >
              {detailsOpen ? "Hide details" : details.toggleLabel}
            </Button>
          )}
          <Button variant="primary" onClick={() => inputRef.current?.click()} disabled={busy}>
            Choose file…
          </Button>
          <input
            ref={inputRef}
            type="file"
            accept={accept}
            className="sr-only"
            tabIndex={-1}
            aria-label={inputLabel}
            data-testid={testIds.input}
            onChange={(event) => {
              acceptFiles(event.target.files);
              // Reset so choosing the same file again still fires a change.
              event.target.value = "";
            }}
          />
        </div>
      </div>

      {details && (
        <div id={detailsId} hidden={!detailsOpen} className="grid gap-3 sm:grid-cols-2">
          {details.render(busy)}
        </div>
      )}

      <UploadStatus
        state={state}
        describeResult={describeResult}
        testIds={testIds}
        onCancel={() => uploadRef.current?.abort()}
      />

      {children}

      {dragging && (
        <div className="pointer-events-none absolute inset-0 flex items-center justify-center rounded-xl bg-blue-50/85">
          <p className="rounded-lg bg-white px-4 py-2 text-sm font-medium text-blue-800 shadow">
            Drop to upload a new {noun}
          </p>
        </div>
      )}
    </section>
  );
}

function UploadStatus<T>({
  state,
  describeResult,
  testIds,
  onCancel,
}: {
  state: UploadState<T>;
  describeResult: FileDropzoneProps<T>["describeResult"];
  testIds: DropzoneTestIds;
  onCancel: () => void;
}) {
  switch (state.phase) {
    case "idle":
      return null;
    case "uploading":
      return <UploadingRow state={state} testIds={testIds} onCancel={onCancel} />;
    case "uploaded":
      // The finished bar stays, so the outcome is visible even for uploads too quick to watch.
      return (
        <TransferRow file={state.file} percent={100} tone="green" progressTestId={testIds.progress}>
          <span className="text-emerald-800">{describeResult(state.result, state.file, state.durationMs)}</span>
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
        <Alert data-testid={testIds.error}>
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
  testIds,
  onCancel,
}: {
  state: Extract<UploadState<unknown>, { phase: "uploading" }>;
  testIds: DropzoneTestIds;
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
      progressTestId={testIds.progress}
      action={
        <Button size="sm" onClick={onCancel} data-testid={testIds.cancel}>
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

/** File name and size, the progress bar and a status line. */
function TransferRow({
  file,
  percent,
  tone,
  progressTestId,
  action,
  children,
}: {
  file: File;
  percent: number;
  tone: ProgressTone;
  progressTestId: string;
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
      <ProgressBar percent={percent} tone={tone} label={`Upload of ${file.name}`} data-testid={progressTestId} />
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
