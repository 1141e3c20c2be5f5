import Link from "next/link";
import type { ComponentProps } from "react";
import { cn } from "./cn";
import { Spinner } from "./spinner";

export type ButtonVariant = "primary" | "secondary" | "danger" | "ghost";
export type ButtonSize = "sm" | "md";

const VARIANT_CLASSES: Record<ButtonVariant, string> = {
  primary: "bg-zinc-900 text-white shadow-sm hover:bg-zinc-700 focus-visible:outline-zinc-900",
  secondary:
    "border border-zinc-300 bg-white text-zinc-800 shadow-sm hover:border-zinc-400 hover:bg-zinc-50 focus-visible:outline-zinc-900",
  danger: "bg-red-600 text-white shadow-sm hover:bg-red-700 focus-visible:outline-red-600",
  ghost: "text-zinc-700 hover:bg-zinc-100 hover:text-zinc-900 focus-visible:outline-zinc-900",
};

const SIZE_CLASSES: Record<ButtonSize, string> = {
  sm: "h-7 gap-1.5 rounded-md px-2.5 text-xs",
  md: "h-9 gap-2 rounded-md px-3.5 text-sm",
};

/** Shared by <Button> and <ButtonLink> so links that act as buttons look identical. */
export function buttonClasses(
  variant: ButtonVariant = "secondary",
  size: ButtonSize = "md",
  className?: string,
): string {
  return cn(
    "inline-flex shrink-0 items-center justify-center font-medium whitespace-nowrap transition-colors",
    "focus-visible:outline-2 focus-visible:outline-offset-2",
    "disabled:cursor-not-allowed disabled:opacity-50",
    VARIANT_CLASSES[variant],
    SIZE_CLASSES[size],
    className,
  );
}

export interface ButtonProps extends ComponentProps<"button"> {
  variant?: ButtonVariant;
  size?: ButtonSize;
  /** Shows a spinner and disables the button while an action runs. */
  pending?: boolean;
  /**
   * Why the button is disabled, shown as a tooltip. Disabled buttons get no pointer events in
   * some browsers, so the tooltip sits on a wrapper too.
   */
  disabledReason?: string;
}

export function Button({
  variant,
  size,
  pending = false,
  disabled,
  disabledReason,
  className,
  children,
  title,
  type = "button",
  ...rest
}: ButtonProps) {
  const isDisabled = disabled || pending;
  const button = (
    <button
      type={type}
      disabled={isDisabled}
      aria-busy={pending || undefined}
      title={isDisabled && disabledReason ? disabledReason : title}
      className={buttonClasses(variant, size, className)}
      {...rest}
    >
      {pending && <Spinner />}
      {children}
    </button>
  );
  if (!isDisabled || !disabledReason) return button;
  return (
    <span title={disabledReason} className="inline-flex cursor-not-allowed">
      {button}
    </span>
  );
}

export interface ButtonLinkProps extends ComponentProps<typeof Link> {
  variant?: ButtonVariant;
  size?: ButtonSize;
}

export function ButtonLink({ variant, size, className, ...rest }: ButtonLinkProps) {
  return <Link className={buttonClasses(variant, size, className)} {...rest} />;
}
