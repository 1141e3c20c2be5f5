"use client";

import { useEffect, useId, useRef, type ReactNode } from "react";
import { cn } from "./cn";

export interface DialogProps {
  open: boolean;
  /** Called on Escape, backdrop click or the close button; the parent owns `open`. */
  onClose: () => void;
  title: string;
  description?: ReactNode;
  children?: ReactNode;
  /** Buttons, right-aligned. */
  footer?: ReactNode;
  /** False while an action runs, so Escape or a stray click cannot hide its outcome. */
  dismissible?: boolean;
  size?: "sm" | "md";
}

/**
 * A modal on the native <dialog> element: the browser provides the focus trap, inert background,
 * Escape handling and top-layer stacking. Content is unmounted while closed so forms start fresh.
 */
export function Dialog({
  open,
  onClose,
  title,
  description,
  children,
  footer,
  dismissible = true,
  size = "sm",
}: DialogProps) {
  const dialogRef = useRef<HTMLDialogElement>(null);
  const pressStartedOnBackdrop = useRef(false);
  const titleId = useId();
  const descriptionId = useId();

  useEffect(() => {
    const dialog = dialogRef.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);

  return (
    <dialog
      ref={dialogRef}
      aria-labelledby={titleId}
      aria-describedby={description ? descriptionId : undefined}
      onCancel={(event) => {
        // Keep the element in sync with React state instead of letting the browser close it.
        event.preventDefault();
        if (dismissible) onClose();
      }}
      onMouseDown={(event) => {
        pressStartedOnBackdrop.current = event.target === event.currentTarget;
      }}
      onClick={(event) => {
        // A click whose target is the <dialog> itself landed on the backdrop. Requiring the press
        // to start there too keeps a text selection dragged out of an input from closing it.
        if (event.target === event.currentTarget && pressStartedOnBackdrop.current && dismissible) onClose();
      }}
      className={cn(
        "m-auto w-[calc(100%-2rem)] rounded-xl border border-zinc-200 bg-white p-0 text-zinc-900 shadow-xl",
        size === "sm" ? "max-w-md" : "max-w-xl",
      )}
    >
      {open && (
        <div className="flex flex-col gap-4 p-5">
          <div className="space-y-1.5">
            <h2 id={titleId} className="text-base font-semibold">
              {title}
            </h2>
            {description && (
              <div id={descriptionId} className="text-sm text-zinc-600">
                {description}
              </div>
            )}
          </div>
          {children}
          {footer && <div className="flex flex-wrap justify-end gap-2 pt-1">{footer}</div>}
        </div>
      )}
    </dialog>
  );
}
