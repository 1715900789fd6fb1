/** Vite build, dev-server proxy to the Flask backend, and Vitest settings. */
import { defineConfig } from "vitest/config";
import react from "@vitejs/plugin-react";

export default defineConfig({
  plugins: [react()],
  // Relative asset URLs let Flask serve dist/ at "/" or under any prefix.
  base: "./",
  server: {
    proxy: { "/api": "http://127.0.0.1:5000" },
  },
  build: {
    outDir: "dist",
    sourcemap: true,
    // hls.js alone is ~550 kB minified; it sits in the lazily loaded watch chunk.
    chunkSizeWarningLimit: 700,
  },
  test: {
    include: ["tests/**/*.test.{ts,tsx}"],
    environment: "node",
    restoreMocks: true,
  },
});
