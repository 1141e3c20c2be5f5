"use client";

import { useState, type ReactNode } from "react";
import { errorMessage } from "@/components/api-client";
import { Alert } from "./alert";
import { Button, type ButtonSize, type ButtonVariant } from "./button";
import { Dialog } from "./dialog";
import { TextArea } from "./field";

export interface ConfirmDialogProps {
  open: boolean;
  onClose: () => void;
  title: string;
  description: ReactNode;
  confirmLabel: string;
  confirmVariant?: ButtonVariant;
  /** Adds an optional free-text comment (recorded with stage changes). */
  commentLabel?: string;
  /** Runs the action; a thrown error is shown in the dialog, success closes it. */
  onConfirm: (comment: string) => Promise<void>;
}

export function ConfirmDialog({
  open,
  onClose,
  title,
  description,
  confirmLabel,
  confirmVariant = "primary",
  commentLabel,
  onConfirm,
}: ConfirmDialogProps) {
  const [comment, setComment] = useState("");
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [wasOpen, setWasOpen] = useState(open);

  // Each opening starts clean (no leftover comment or error from the last attempt).
  if (open !== wasOpen) {
    setWasOpen(open);
    if (open) {
      setComment("");
      setError(null);
      setPending(false);
    }
  }

  async function confirm() {
    setPending(true);
    setError(null);
    try {
      await onConfirm(comment.trim());
      onClose();
    } catch (caught) {
      setError(errorMessage(caught));
    } finally {
      setPending(false);
    }
  }

  return (
    <Dialog
      open={open}
      onClose={onClose}
      dismissible={!pending}
      title={title}
      description={description}
      footer={
        <>
          <Button onClick={onClose} disabled={pending}>
            Cancel
          </Button>
          <Button variant={confirmVariant} onClick={confirm} pending={pending} data-testid="confirm-dialog-confirm">
            {confirmLabel}
          </Button>
        </>
      }
    >
      {commentLabel && (
        <TextArea
          label={commentLabel}
          value={comment}
          onChange={(event) => setComment(event.target.value)}
          maxLength={1000}
          rows={2}
          disabled={pending}
          data-testid="confirm-dialog-comment"
        />
      )}
      {error && <Alert>{error}</Alert>}
    </Dialog>
  );
}

export interface ConfirmActionButtonProps extends Omit<ConfirmDialogProps, "open" | "onClose"> {
  /** The trigger's label. */
  children: ReactNode;
  variant?: ButtonVariant;
  size?: ButtonSize;
  disabled?: boolean;
  disabledReason?: string;
  testId?: string;
}

/** A button that asks for confirmation in a dialog before running its action. */
export function ConfirmActionButton({
  children,
  variant,
  size,
  disabled,
  disabledReason,
  testId,
  ...dialog
}: ConfirmActionButtonProps) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <Button
        variant={variant}
        size={size}
        disabled={disabled}
        disabledReason={disabledReason}
        data-testid={testId}
        onClick={() => setOpen(true)}
      >
        {children}
      </Button>
      <ConfirmDialog {...dialog} open={open} onClose={() => setOpen(false)} />
    </>
  );
}
