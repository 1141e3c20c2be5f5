import Link from "next/link";
import { buttonClasses } from "@/components/ui/button";
import { EmptyState } from "@/components/ui/empty-state";

export default function NotFound() {
  return (
    <EmptyState
      className="mt-10"
      title="Not found"
      description="This model, version or page does not exist. It may have been deleted, or the link is mistyped."
      action={
        <Link href="/models" className={buttonClasses("primary")}>
          Back to models
        </Link>
      }
    />
  );
}
