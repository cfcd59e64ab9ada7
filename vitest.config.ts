import { defineConfig } from "vitest/config";

/**
 * Test tiers (CONTRIBUTING.md): `npm run test:unit` needs nothing but Node; integration starts
 * one Redis for the run (test/support/global-setup.ts); browser needs Chromium; deploy renders
 * manifests with kubectl and terraform. `npm test` runs all four.
 */
export default defineConfig({
  test: {
    // Redis-backed tests wait for real TTLs and reconnects.
    testTimeout: 20_000,
    hookTimeout: 30_000,
    projects: [
      { extends: true, test: { name: "unit", include: ["test/unit/**/*.test.ts"] } },
      {
        extends: true,
        test: { name: "integration", include: ["test/*.test.ts"], globalSetup: ["./test/support/global-setup.ts"] },
      },
      { extends: true, test: { name: "browser", include: ["test/browser/**/*.test.ts"] } },
      { extends: true, test: { name: "deploy", include: ["test/deploy/**/*.test.ts"] } },
    ],
  },
});
