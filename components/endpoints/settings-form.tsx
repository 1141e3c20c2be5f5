"use client";

import { useState, type FormEvent } from "react";
import {
  deploymentSettingsSchema,
  DEFAULT_DEPLOYMENT_SETTINGS,
  type DeploymentSettings,
  type EndpointDto,
} from "@/lib/serving/schemas";
import { ApiClientError, apiFetch, errorMessage } from "@/components/api-client";
import { endpointApiPath } from "@/components/paths";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { TextField } from "@/components/ui/field";
import { formatNumber } from "@/components/ui/format";

type SettingKey = keyof DeploymentSettings;
type Drafts = Record<SettingKey, string>;
type FieldErrors = Partial<Record<SettingKey, string>>;

const FIELDS: { key: SettingKey; label: string; hint: string }[] = [
  {
    key: "maxBatchSize",
    label: "Max batch size",
    hint: "Rows per model run when requests are combined; 1 turns batching off.",
  },
  {
    key: "maxQueueDelayMs",
    label: "Max queue delay (ms)",
    hint: "How long a request may wait for others to join its batch while the model is idle; 0 never waits.",
  },
  {
    key: "maxQueueSize",
    label: "Max queue size",
    hint: "Requests waiting per version beyond which the endpoint answers 503.",
  },
  { key: "requestTimeoutMs", label: "Request timeout (ms)", hint: "A request not answered by then gets 504." },
  {
    key: "predictionSampleRate",
    label: "Prediction sampling rate",
    hint: "Share of requests whose predictions are logged for feedback and online accuracy; 1 logs all, 0 none.",
  },
];
const KEYS = FIELDS.map((field) => field.key);

/** "a whole number from 1 to 4,096", read from the schema the API checks with, so it cannot drift from the rule. */
function expectation(key: SettingKey): string {
  const { minValue, maxValue, isInt } = deploymentSettingsSchema.shape[key];
  return `${isInt ? "a whole number" : "a number"} from ${formatNumber(minValue ?? 0)} to ${formatNumber(maxValue ?? Infinity)}`;
}

const toDrafts = (settings: DeploymentSettings): Drafts =>
  Object.fromEntries(KEYS.map((key) => [key, String(settings[key])])) as Drafts;

const sameSettings = (a: DeploymentSettings | null, b: DeploymentSettings | null) =>
  a === b || (a !== null && b !== null && KEYS.every((key) => a[key] === b[key]));

interface Issue {
  path: readonly PropertyKey[];
  message: string;
}

/** Each issue on the field it names (first one wins); issues naming no field are left out. */
function fieldErrors(issues: readonly Issue[]): FieldErrors {
  const errors: FieldErrors = {};
  for (const issue of issues) {
    const key = KEYS.find((candidate) => candidate === issue.path[0]);
    if (key && !errors[key]) errors[key] = issue.message;
  }
  return errors;
}

function serverIssues(error: unknown): Issue[] {
  if (!(error instanceof ApiClientError) || typeof error.details !== "object" || error.details === null) return [];
  const issues = (error.details as { issues?: unknown }).issues;
  return Array.isArray(issues) ? (issues as Issue[]).filter((issue) => Array.isArray(issue?.path)) : [];
}

/**
 * Batching, queue and timeout settings. Checked in the browser with the API's own schema, then
 * PATCHed; replicas apply them within seconds. Edits in progress survive the page's polling.
 */
export function SettingsForm({
  endpoint,
  onSaved,
}: {
  endpoint: EndpointDto;
  onSaved: (endpoint: EndpointDto) => void;
}) {
  const settings = endpoint.settings;
  const [basis, setBasis] = useState(settings);
  const [drafts, setDrafts] = useState<Drafts>(() => toDrafts(settings ?? DEFAULT_DEPLOYMENT_SETTINGS));
  const [errors, setErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const [pending, setPending] = useState(false);

  const dirty = KEYS.some((key) => drafts[key] !== toDrafts(basis ?? DEFAULT_DEPLOYMENT_SETTINGS)[key]);
  // Someone else changed the settings: adopt them unless the user is in the middle of an edit.
  if (!sameSettings(settings, basis)) {
    setBasis(settings);
    if (!dirty) setDrafts(toDrafts(settings ?? DEFAULT_DEPLOYMENT_SETTINGS));
  }

  if (!settings) {
    return (
      <p className="text-sm text-zinc-500">
        Settings are created with the endpoint, when a version is first promoted to Production or the model is deployed.
      </p>
    );
  }

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setFormError(null);
    setSaved(false);
    const values = Object.fromEntries(
      KEYS.map((key) => [key, drafts[key].trim() === "" ? Number.NaN : Number(drafts[key])]),
    );
    const parsed = deploymentSettingsSchema.safeParse(values);
    if (!parsed.success) {
      const invalid = Object.keys(fieldErrors(parsed.error.issues)) as SettingKey[];
      setErrors(Object.fromEntries(invalid.map((key) => [key, `Enter ${expectation(key)}.`])));
      return;
    }
    setErrors({});
    setPending(true);
    try {
      const updated = await apiFetch<EndpointDto>(endpointApiPath(endpoint.modelName), {
        method: "PATCH",
        json: parsed.data,
      });
      setBasis(updated.settings);
      setDrafts(toDrafts(updated.settings ?? parsed.data));
      setSaved(true);
      onSaved(updated);
    } catch (caught) {
      const byField = fieldErrors(serverIssues(caught));
      if (Object.keys(byField).length > 0) setErrors(byField);
      else setFormError(errorMessage(caught));
    } finally {
      setPending(false);
    }
  }

  return (
    <form onSubmit={submit} noValidate className="space-y-4" data-testid="endpoint-settings">
      <div className="grid gap-4 sm:grid-cols-2">
        {FIELDS.map((field) => (
          <TextField
            key={field.key}
            label={field.label}
            name={field.key}
            type="number"
            inputMode="decimal"
            value={drafts[field.key]}
            onChange={(event) => {
              const value = event.target.value;
              setDrafts((current) => ({ ...current, [field.key]: value }));
              setSaved(false);
            }}
            error={errors[field.key]}
            hint={`${field.hint} Allowed: ${expectation(field.key)}.`}
            disabled={pending}
            data-testid={`setting-${field.key}`}
          />
        ))}
      </div>
      {formError && <Alert>{formError}</Alert>}
      <div className="flex flex-wrap items-center gap-2">
        <Button
          type="submit"
          variant="primary"
          size="sm"
          pending={pending}
          disabled={!dirty}
          data-testid="settings-save"
        >
          Save settings
        </Button>
        {dirty && (
          <Button
            size="sm"
            variant="ghost"
            disabled={pending}
            onClick={() => {
              setDrafts(toDrafts(settings));
              setErrors({});
            }}
          >
            Discard changes
          </Button>
        )}
        {saved && !dirty && (
          <p role="status" className="text-sm text-emerald-700">
            Saved; replicas apply the new settings within seconds.
          </p>
        )}
      </div>
    </form>
  );
}
