/** A quiet note that live updates failed; the last data stays visible and polling keeps retrying. */
export function LiveUpdateError({ message }: { message: string | null }) {
  if (!message) return null;
  return (
    <p role="status" className="text-xs text-amber-800">
      Live updates paused ({message}); retrying…
    </p>
  );
}
