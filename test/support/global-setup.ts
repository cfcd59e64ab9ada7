/** Provides one Redis for the whole test run; tests read its URL with `inject("redisUrl")`. */
import type { TestProject } from "vitest/node";
import { provideRedis } from "./redis.js";

declare module "vitest" {
  export interface ProvidedContext {
    redisUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const redis = await provideRedis();
  project.provide("redisUrl", redis.url);
  return async () => {
    await redis.stop();
  };
}
