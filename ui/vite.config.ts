import { svelte } from "@sveltejs/vite-plugin-svelte";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

export default defineConfig({
  plugins: [svelte()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    // The API reference's bundle is ~1.6 MB (gzip ~0.5 MB), loaded only by /reference.
    chunkSizeWarningLimit: 2048,
    rollupOptions: {
      // The API reference is a page of its own, so the dashboard never loads its ~1 MB of code.
      input: {
        main: fileURLToPath(new URL("index.html", import.meta.url)),
        reference: fileURLToPath(new URL("reference.html", import.meta.url)),
      },
    },
  },
  server: { proxy: { "/v1": "http://127.0.0.1:7077", "/healthz": "http://127.0.0.1:7077", "/openapi.json": "http://127.0.0.1:7077" } },
});
