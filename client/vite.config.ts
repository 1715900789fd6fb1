/** Vite build, dev-server proxy to the Flask backend, and Vitest settings. */
import { defineConfig } from "vitest/config";
import react from "@vitejs/plugin-react";

export default defineConfig({
  plugins: [react()],
  // Absolute asset URLs: history routes (/watch/abc, /embed/abc) load the same /assets/ files at any depth.
  base: "/",
  server: {
    proxy: { "/api": "http://127.0.0.1:5000" },
  },
  build: {
    outDir: "dist",
    sourcemap: true,
    // hls.js alone is ~550 kB minified; it sits in the lazily loaded watch chunk.
    chunkSizeWarningLimit: 700,
    // Two pages: the app, and the embed page other sites frame (the player alone; videoforge/modules/web serves it).
    rollupOptions: {
      input: { main: "index.html", embed: "embed.html" },
    },
  },
  test: {
    include: ["tests/**/*.test.{ts,tsx}"],
    environment: "node",
    restoreMocks: true,
  },
});
