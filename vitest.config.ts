import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "handlers/**/*.test.ts", "runtime/**/*.test.ts"],
    globalSetup: ["./test/support/global-setup.ts"],
    // Redis-backed tests wait for real TTLs and reconnects.
    testTimeout: 20_000,
    hookTimeout: 30_000,
  },
});
