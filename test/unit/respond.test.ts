import { describe, expect, it } from "vitest";
import { json, textBodyOf } from "../../handlers/http/respond.js";

describe("json answers", () => {
  it("keep their text for hosts that write answers themselves; any other Response has none", async () => {
    const response = json(201, { a: "é" }, { "X-Extra": "1" });
    expect(textBodyOf(response)).toBe('{"a":"é"}');
    // The same text the Response itself carries.
    expect(await response.clone().text()).toBe(textBodyOf(response));
    expect(textBodyOf(new Response('{"a":"é"}'))).toBeUndefined();
    // A copy (as withHeaders makes when headers are immutable) is another object: not found.
    expect(textBodyOf(new Response(response.body, response))).toBeUndefined();
  });
});
