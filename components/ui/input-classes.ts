import { cn } from "./cn";

const CONTROL_CLASSES =
  "block w-full rounded-md border bg-white px-2.5 py-1.5 text-sm text-zinc-900 shadow-sm placeholder:text-zinc-400 " +
  "focus:outline-2 focus:outline-offset-0 focus:outline-blue-600 disabled:bg-zinc-50 disabled:text-zinc-500";

/** Form-control styling shared by labelled fields and hand-laid-out inputs (search bars, filters). */
export function inputClasses(options: { invalid?: boolean; className?: string } = {}): string {
  return cn(CONTROL_CLASSES, options.invalid ? "border-red-400" : "border-zinc-300", options.className);
}
