"use client";

import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { updateVersionSchema } from "@/lib/registry/schemas";
import { apiFetch, errorMessage } from "@/components/api-client";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { TextArea, TextField } from "@/components/ui/field";
import { parseTagList } from "@/components/ui/format";
import { TagList } from "@/components/ui/tag-list";

interface DescribedResource {
  description: string;
  tags: string[];
}

export interface EditDescriptionProps extends DescribedResource {
  /** The REST resource that accepts `PATCH { description, tags }` (a model or a version). */
  endpoint: string;
  /** "model" or "version", for labels. */
  noun: string;
}

/** Description and tags with inline editing; saving PATCHes the resource and refreshes the page. */
export function EditDescription({ endpoint, noun, description, tags }: EditDescriptionProps) {
  const router = useRouter();
  const [editing, setEditing] = useState(false);
  const [draftDescription, setDraftDescription] = useState(description);
  const [draftTags, setDraftTags] = useState(tags.join(", "));
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  // What the server returned, shown until the refreshed page props catch up.
  const [saved, setSaved] = useState<{ basis: DescribedResource; value: DescribedResource } | null>(null);
  const current =
    saved && saved.basis.description === description && saved.basis.tags === tags ? saved.value : { description, tags };

  function startEditing() {
    setDraftDescription(current.description);
    setDraftTags(current.tags.join(", "));
    setError(null);
    setEditing(true);
  }

  async function save(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const parsed = updateVersionSchema.safeParse({ description: draftDescription, tags: parseTagList(draftTags) });
    if (!parsed.success) {
      setError(parsed.error.issues[0]?.message ?? "Check the description and tags.");
      return;
    }
    setPending(true);
    setError(null);
    try {
      const updated = await apiFetch<DescribedResource>(endpoint, { method: "PATCH", json: parsed.data });
      setSaved({ basis: { description, tags }, value: { description: updated.description, tags: updated.tags } });
      setEditing(false);
      router.refresh();
    } catch (caught) {
      setError(errorMessage(caught));
    } finally {
      setPending(false);
    }
  }

  if (!editing) {
    return (
      <div className="flex items-start justify-between gap-4">
        <div className="min-w-0 space-y-2">
          {current.description ? (
            <p className="text-sm whitespace-pre-wrap text-zinc-700">{current.description}</p>
          ) : (
            <p className="text-sm text-zinc-400 italic">No description.</p>
          )}
          <TagList tags={current.tags} />
        </div>
        <Button
          size="sm"
          variant="ghost"
          onClick={startEditing}
          aria-label={`Edit ${noun} description and tags`}
          data-testid="edit-description"
        >
          Edit
        </Button>
      </div>
    );
  }

  return (
    <form onSubmit={save} className="space-y-3">
      <TextArea
        label="Description"
        value={draftDescription}
        onChange={(event) => setDraftDescription(event.target.value)}
        rows={4}
        maxLength={5000}
        disabled={pending}
        autoFocus
        data-testid="edit-description-input"
      />
      <TextField
        label="Tags"
        value={draftTags}
        onChange={(event) => setDraftTags(event.target.value)}
        hint="Comma-separated"
        disabled={pending}
        data-testid="edit-tags-input"
      />
      {error && <Alert>{error}</Alert>}
      <div className="flex gap-2">
        <Button type="submit" variant="primary" size="sm" pending={pending} data-testid="edit-description-save">
          Save
        </Button>
        <Button size="sm" onClick={() => setEditing(false)} disabled={pending}>
          Cancel
        </Button>
      </div>
    </form>
  );
}
