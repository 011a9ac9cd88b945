// The web app: sources in app/, built into dist/ (served by `python -m arena.webapp` behind Envoy).
// `npm run dev` serves it on http://localhost:5173 (an origin the edge allows) against the edge.
import { defineConfig } from "vitest/config";

export default defineConfig({
  root: "app",
  publicDir: "public",
  build: {
    outDir: "../dist",
    emptyOutDir: true,
    // Hashed file names under assets/ (cached for a year); no inline module preload polyfill,
    // so the page needs no inline script and the CSP can forbid them.
    assetsDir: "assets",
    target: "es2022",
    modulePreload: { polyfill: false },
    chunkSizeWarningLimit: 2000,
  },
  server: { port: 5173, strictPort: true, host: "localhost" },
  test: { root: ".", include: ["app/test/**/*.test.ts"], environment: "node" },
});
