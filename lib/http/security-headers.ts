/**
 * Headers every web response carries. No imports: next.config.ts reads this file too.
 *
 * Pages get a Content-Security-Policy with a fresh nonce per request (proxy.ts): Next puts the
 * nonce on its own inline scripts, and 'strict-dynamic' lets the scripts they load run. Styles
 * may be inline because React renders `style` attributes (charts, progress bars), which a nonce
 * cannot cover; scripts may not.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "X-Frame-Options": "DENY",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "same-origin",
};

/** API answers are data, never a document: nothing may load from them, and nothing may frame them. */
export const API_CONTENT_SECURITY_POLICY =
  "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

export function pageContentSecurityPolicy(nonce: string, options: { development: boolean }): string {
  return [
    "default-src 'self'",
    // React's development build uses eval to rebuild server error stacks; production never does.
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${options.development ? " 'unsafe-eval'" : ""}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}
