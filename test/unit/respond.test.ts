import { describe, expect, it } from "vitest";
import { addPlainHeaders, json, plainAnswerOf } from "../../handlers/http/respond.js";

describe("json answers", () => {
  it("keep their text and headers for hosts that write answers themselves; any other Response has none", async () => {
    const response = json(201, { a: "é" }, { "X-Extra": "1" });
    expect(plainAnswerOf(response)?.text).toBe('{"a":"é"}');
    // The same text and headers the Response itself carries.
    expect(await response.clone().text()).toBe(plainAnswerOf(response)?.text);
    expect(Object.fromEntries(Object.entries(plainAnswerOf(response)!.headers).map(([k, v]) => [k.toLowerCase(), v]))).toEqual(Object.fromEntries(response.headers));
    expect(plainAnswerOf(new Response('{"a":"é"}'))).toBeUndefined();
    // A copy (as withHeaders makes when headers are immutable) is another object: not found.
    expect(plainAnswerOf(new Response(response.body, response))).toBeUndefined();
  });

  it("take the app's headers as Headers would: one already there stays, Vary is appended to, names match in any case", () => {
    const headers: Record<string, string> = { "Content-Type": "application/json", Vary: "Accept" };
    addPlainHeaders(headers, { "content-type": "text/plain", VARY: "Origin", "Access-Control-Allow-Origin": "*" });
    expect(headers).toEqual({ "Content-Type": "application/json", Vary: "Accept, Origin", "Access-Control-Allow-Origin": "*" });
  });
});
