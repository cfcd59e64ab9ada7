/** The router's route order: hot routes first, and an order that changes no answer. */
import { describe, expect, it } from "vitest";
import { registeredRoutes } from "../../handlers/app.js";

/** A URL path each route pattern answers: every `:param` given a value. */
const sample = (path: string) => path.replace(/:(\w+)/g, "$1-1");

describe("the router's routes", () => {
  const routes = registeredRoutes();

  it("put image streams and session writes first, the stream before the writes", () => {
    expect(routes.slice(0, 4).map(([method, , path]) => `${method} ${path}`)).toEqual([
      "GET /stream/:id",
      "HEAD /stream/:id",
      "PATCH /api/session/:id",
      "PUT /api/session/:id",
    ]);
  });

  it("never match one URL with two paths, so the order they are tried in changes no answer", () => {
    const paths = [...new Set(routes.map(([, , path]) => path))];
    expect(paths.length).toBeGreaterThan(20);
    for (const path of paths) {
      const url = sample(path);
      const matching = new Set(routes.filter(([, match]) => match.test(url)).map(([, , other]) => other));
      expect([...matching], url).toEqual([path]);
    }
  });
});
