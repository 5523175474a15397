// The browsable API reference (served at /reference): Scalar's reference, bundled by vite into
// same-origin assets so the page loads nothing from a CDN and fits a `script-src 'self'` CSP.
// Everything that would call Scalar's services is off: the reference describes this server only.
import { createApiReference } from "@scalar/api-reference";
import "@scalar/api-reference/style.css";

createApiReference("#api-reference", {
  url: "/openapi.json",
  // Fonts would come from Scalar's CDN; the system fonts keep the page self-contained.
  withDefaultFonts: false,
  // "Try it" requests go straight to this server (same origin), never through Scalar's proxy.
  proxyUrl: "",
  telemetry: false,
  showDeveloperTools: "never",
  agent: { disabled: true },
  documentDownloadType: "json",
});
