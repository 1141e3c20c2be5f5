"use client";

import { useRouter } from "next/navigation";
import { useId, useState, type FormEvent } from "react";
import { createModelSchema, type ModelSummary } from "@/lib/registry/schemas";
import { ApiClientError, apiFetch, errorMessage } from "@/components/api-client";
import { modelPath } from "@/components/paths";
import { Alert } from "@/components/ui/alert";
import { Button, type ButtonVariant } from "@/components/ui/button";
import { Dialog } from "@/components/ui/dialog";
import { TextArea, TextField } from "@/components/ui/field";
import { parseTagList } from "@/components/ui/format";

type FieldName = "name" | "description" | "tags";
type FieldErrors = Partial<Record<FieldName, string>>;

const FIELDS: readonly FieldName[] = ["name", "description", "tags"];

interface Issue {
  path: readonly PropertyKey[];
  message: string;
}

/** Attaches each validation issue to its field (the first issue per field wins). */
function fieldErrorsFrom(issues: readonly Issue[]): FieldErrors {
  const errors: FieldErrors = {};
  for (const issue of issues) {
    const field = FIELDS.find((name) => name === issue.path[0]);
    if (field && !errors[field]) errors[field] = issue.message;
  }
  return errors;
}

function isIssueList(value: unknown): value is Issue[] {
  return (
    Array.isArray(value) &&
    value.every((item: unknown) => {
      if (typeof item !== "object" || item === null) return false;
      const candidate = item as { path?: unknown; message?: unknown };
      return Array.isArray(candidate.path) && typeof candidate.message === "string";
    })
  );
}

/** Server-side validation issues arrive in `details.issues`; anything else is shown as a whole-form error. */
function serverFieldErrors(error: ApiClientError): FieldErrors {
  if (error.code === "conflict") return { name: error.message };
  const issues =
    typeof error.details === "object" && error.details !== null
      ? (error.details as { issues?: unknown }).issues
      : undefined;
  return isIssueList(issues) ? fieldErrorsFrom(issues) : {};
}

export interface NewModelDialogProps {
  triggerLabel?: string;
  triggerVariant?: ButtonVariant;
  /** Only the page's main trigger carries the test id, so it stays unique when an empty state adds a second one. */
  triggerTestId?: string;
}

export function NewModelDialog({
  triggerLabel = "New model",
  triggerVariant = "primary",
  triggerTestId,
}: NewModelDialogProps) {
  const router = useRouter();
  const [open, setOpen] = useState(false);
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [tags, setTags] = useState("");
  const [fieldErrors, setFieldErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  const formId = useId();

  function openDialog() {
    setName("");
    setDescription("");
    setTags("");
    setFieldErrors({});
    setFormError(null);
    setOpen(true);
  }

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setFormError(null);
    const parsed = createModelSchema.safeParse({ name, description, tags: parseTagList(tags) });
    if (!parsed.success) {
      setFieldErrors(fieldErrorsFrom(parsed.error.issues));
      return;
    }
    setFieldErrors({});
    setPending(true);
    try {
      const model = await apiFetch<ModelSummary>("/api/models", { method: "POST", json: parsed.data });
      // Stay pending while the new page loads; this dialog unmounts with the current page.
      router.push(modelPath(model.name));
    } catch (error) {
      setPending(false);
      const errors = error instanceof ApiClientError ? serverFieldErrors(error) : {};
      if (Object.keys(errors).length > 0) setFieldErrors(errors);
      else setFormError(errorMessage(error));
    }
  }

  return (
    <>
      <Button variant={triggerVariant} onClick={openDialog} data-testid={triggerTestId}>
        {triggerLabel}
      </Button>
      <Dialog
        open={open}
        onClose={() => setOpen(false)}
        dismissible={!pending}
        title="New model"
        description="A model groups the versions of one ML model. Upload versions after creating it."
        footer={
          <>
            <Button onClick={() => setOpen(false)} disabled={pending}>
              Cancel
            </Button>
            <Button type="submit" form={formId} variant="primary" pending={pending} data-testid="new-model-submit">
              Create model
            </Button>
          </>
        }
      >
        <form id={formId} onSubmit={submit} noValidate className="space-y-4">
          <TextField
            label="Name"
            name="name"
            value={name}
            onChange={(event) => setName(event.target.value)}
            error={fieldErrors.name}
            hint="Letters, digits, '.', '_' and '-'; starts with a letter or digit."
            autoComplete="off"
            spellCheck={false}
            autoFocus
            required
            data-testid="new-model-name"
          />
          <TextArea
            label="Description"
            name="description"
            value={description}
            onChange={(event) => setDescription(event.target.value)}
            error={fieldErrors.description}
            rows={3}
            data-testid="new-model-description"
          />
          <TextField
            label="Tags"
            name="tags"
            value={tags}
            onChange={(event) => setTags(event.target.value)}
            error={fieldErrors.tags}
            hint="Comma-separated, e.g. vision, resnet"
            autoComplete="off"
            data-testid="new-model-tags"
          />
          {formError && <Alert>{formError}</Alert>}
        </form>
      </Dialog>
    </>
  );
}
