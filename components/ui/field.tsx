"use client";

import { useId, type ComponentProps, type ReactNode } from "react";
import { cn } from "./cn";
import { inputClasses } from "./input-classes";

interface FieldChrome {
  label: string;
  /** Shown under the control in red; also marks it aria-invalid. */
  error?: string;
  hint?: ReactNode;
}

/** Label, control, hint and error wired together with ids, so assistive tech reads them as one. */
function Field({
  label,
  error,
  hint,
  children,
}: FieldChrome & { children: (ids: { id: string; describedBy: string | undefined }) => ReactNode }) {
  const id = useId();
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const describedBy = [hint ? hintId : null, error ? errorId : null].filter(Boolean).join(" ") || undefined;
  return (
    <div className="space-y-1">
      <label htmlFor={id} className="block text-sm font-medium text-zinc-800">
        {label}
      </label>
      {children({ id, describedBy })}
      {hint && !error && (
        <p id={hintId} className="text-xs text-zinc-500">
          {hint}
        </p>
      )}
      {error && (
        <p id={errorId} className="text-xs font-medium text-red-700">
          {error}
        </p>
      )}
    </div>
  );
}

/** What ties a control to its label, hint and error for assistive technology. */
const controlProps = (id: string, describedBy: string | undefined, error: unknown) => ({
  id,
  "aria-invalid": error ? true : undefined,
  "aria-describedby": describedBy,
});

export function TextField({ label, error, hint, className, ...rest }: FieldChrome & ComponentProps<"input">) {
  return (
    <Field label={label} error={error} hint={hint}>
      {({ id, describedBy }) => (
        <input
          {...controlProps(id, describedBy, error)}
          className={inputClasses({ invalid: Boolean(error), className })}
          {...rest}
        />
      )}
    </Field>
  );
}

export function TextArea({ label, error, hint, className, ...rest }: FieldChrome & ComponentProps<"textarea">) {
  return (
    <Field label={label} error={error} hint={hint}>
      {({ id, describedBy }) => (
        <textarea
          {...controlProps(id, describedBy, error)}
          className={inputClasses({ invalid: Boolean(error), className: cn("min-h-20", className) })}
          {...rest}
        />
      )}
    </Field>
  );
}

export function SelectField({ label, error, hint, className, ...rest }: FieldChrome & ComponentProps<"select">) {
  return (
    <Field label={label} error={error} hint={hint}>
      {({ id, describedBy }) => (
        <select
          {...controlProps(id, describedBy, error)}
          className={inputClasses({ invalid: Boolean(error), className })}
          {...rest}
        />
      )}
    </Field>
  );
}
