import { defineConfig } from "vitest/config";

// One bundle for both hosts. Relative asset URLs: Forge serves the resource directory from its
// CDN under a path we do not know, and Connect's boot page sets <base href> to our /ui/.
export default defineConfig({
  base: "./",
  esbuild: { jsx: "automatic", jsxImportSource: "preact" },
  build: {
    outDir: process.env.AMJ_UI_OUT_DIR ?? "dist",
    emptyOutDir: true,
    target: "es2022",
    sourcemap: false,
    // `.vite/manifest.json`: the chunk graph the size budget reads (scripts/budget.mjs).
    manifest: true,
    // The first view's budget is 60 KB gzipped; warn well before a chunk could break it.
    chunkSizeWarningLimit: 150,
  },
  test: {
    environment: "happy-dom",
    include: ["src/**/*.test.ts", "src/**/*.test.tsx"],
  },
});
