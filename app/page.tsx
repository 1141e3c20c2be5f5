import { redirect } from "next/navigation";

export const dynamic = "force-dynamic";

/** The registry is the home page. */
export default function Home(): never {
  redirect("/models");
}
