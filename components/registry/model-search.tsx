import Form from "next/form";
import Link from "next/link";
import { buttonClasses } from "@/components/ui/button";
import { inputClasses } from "@/components/ui/input-classes";

/**
 * Search and tag filter as a plain GET form: it works before hydration, and next/form turns the
 * submit into a client-side navigation to `/models?q=…&tag=…` (page resets to 1). The key
 * remounts the uncontrolled inputs when the URL's filters change (e.g. "Clear filters").
 */
export function ModelSearch({ q, tag }: { q?: string; tag?: string }) {
  const filtered = Boolean(q || tag);
  return (
    <Form
      key={JSON.stringify([q, tag])}
      action="/models"
      role="search"
      aria-label="Filter models"
      className="flex flex-wrap items-end gap-2"
    >
      <label className="min-w-48 flex-1">
        <span className="sr-only">Search models</span>
        <input
          type="search"
          name="q"
          defaultValue={q}
          placeholder="Search by name or description…"
          className={inputClasses()}
        />
      </label>
      <label className="w-40">
        <span className="sr-only">Filter by tag</span>
        <input type="text" name="tag" defaultValue={tag} placeholder="Tag" className={inputClasses()} />
      </label>
      <button type="submit" className={buttonClasses("secondary")}>
        Search
      </button>
      {filtered && (
        <Link href="/models" className={buttonClasses("ghost")}>
          Clear filters
        </Link>
      )}
    </Form>
  );
}
