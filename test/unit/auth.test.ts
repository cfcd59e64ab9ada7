import { describe, expect, it } from "vitest";
import { authorize, bearerToken, hashToken, newWriteToken } from "../../handlers/http/auth.js";

const withAuth = (value?: string) =>
  new Request("http://x/", { headers: value === undefined ? {} : { Authorization: value } });

describe("write tokens", () => {
  it("are long, URL-safe and unique", () => {
    const a = newWriteToken();
    expect(a).toMatch(/^rsvg_[A-Za-z0-9_-]{43}$/);
    expect(newWriteToken()).not.toBe(a);
  });

  it("hash to SHA-256 hex", async () => {
    expect(await hashToken("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });

  it("are read from a Bearer header", () => {
    expect(bearerToken(withAuth("Bearer abc"))).toBe("abc");
    expect(bearerToken(withAuth())).toBeNull();
    expect(bearerToken(withAuth("Basic abc"))).toBe("");
  });
});

describe("authorize", () => {
  it("answers 401 without credentials and 403 with the wrong ones", async () => {
    const digest = await hashToken("right");
    await expect(authorize(withAuth(), [digest])).rejects.toMatchObject({ status: 401, code: "unauthorized" });
    await expect(authorize(withAuth("Basic x"), [digest])).rejects.toMatchObject({ status: 401 });
    await expect(authorize(withAuth("Bearer wrong"), [digest])).rejects.toMatchObject({ status: 403, code: "forbidden" });
    await expect(authorize(withAuth("Bearer right"), [undefined, digest])).resolves.toBeUndefined();
  });

  it("grants nothing when no digest is accepted", async () => {
    await expect(authorize(withAuth("Bearer anything"), [undefined])).rejects.toMatchObject({ status: 403 });
  });
});
