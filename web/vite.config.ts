// Builds the dashboard into web/dist (static files that `linesight server` serves at `/`).
// `npm run dev` proxies /api to LS_URL (default http://127.0.0.1:8080) for working on the UI.
import { defineConfig } from "vite";

export default defineConfig({
  base: "./",
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2020",
    sourcemap: false,
    chunkSizeWarningLimit: 700,
  },
  server: {
    proxy: { "/api": { target: process.env.LS_URL ?? "http://127.0.0.1:8080", changeOrigin: false } },
  },
});
