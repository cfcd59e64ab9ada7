import { describe, expect, it } from "vitest";
import { authorize, bearerToken, hashToken, newWriteToken } from "../../handlers/http/auth.js";
import { nodeSha256 } from "../../runtime/node/digest.js";

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

describe("the host's synchronous digest", () => {
  it("gives Node's SHA-256 the same hex as Web Crypto", async () => {
    for (const text of ["abc", "", newWriteToken(), "한국어 ✓"]) expect(nodeSha256(text)).toBe(await hashToken(text));
  });

  it("is what authorize and hashToken use when the host passes one", async () => {
    const seen: string[] = [];
    const sha256 = (text: string) => {
      seen.push(text);
      return nodeSha256(text);
    };
    expect(await hashToken("abc", sha256)).toBe(await hashToken("abc"));
    await authorize(withAuth("Bearer right"), [await hashToken("right")], { sha256 });
    await expect(authorize(withAuth("Bearer wrong"), [await hashToken("right")], { sha256 })).rejects.toMatchObject({ status: 403 });
    expect(seen).toEqual(["abc", "right", "wrong"]);
  });
});
