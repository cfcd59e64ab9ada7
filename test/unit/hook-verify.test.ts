import { describe, expect, it } from "vitest";
import type { HookRecord } from "../../handlers/hooks/record.js";
import { importSecretsKey, newSecret, openSecret, storeSecret } from "../../handlers/hooks/secrets.js";
import { verifyDelivery, type Delivery } from "../../handlers/hooks/verify.js";
import { hashToken } from "../../handlers/http/auth.js";

const hook = (verify: HookRecord["verify"]): HookRecord => ({
  hookId: "hk_aaaaaaaaaaaaaaaaaaaaaaaa",
  sessionId: "s",
  incarnation: 1,
  verify,
  map: {},
  mode: "patch",
  allowGet: false,
  secret: { plain: "" },
  createdAt: 0,
  secretAt: 0,
});

const delivery = (headers: Record<string, string>, body: string, url = "http://x/hook/hk_a"): Delivery => ({
  method: "POST",
  url: new URL(url),
  headers: new Headers(headers),
  body: new TextEncoder().encode(body),
  pathToken: undefined,
});

describe("webhook verification against the senders' documented vectors", () => {
  // GitHub's "Validating webhook deliveries" page: this secret and body give this signature.
  it("github: X-Hub-Signature-256 of GitHub's example", async () => {
    const signature = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
    const ok = delivery({ "X-Hub-Signature-256": signature, "X-GitHub-Event": "push", "X-GitHub-Delivery": "d1" }, "Hello, World!");
    await expect(verifyDelivery(hook("github"), "It's a Secret to Everybody", ok, 0)).resolves.toEqual({ event: "push", deliveryId: "d1" });
    const tampered = delivery({ "X-Hub-Signature-256": signature }, "Hello, World?");
    await expect(verifyDelivery(hook("github"), "It's a Secret to Everybody", tampered, 0)).rejects.toMatchObject({ code: "invalid_signature" });
    const sha1 = delivery({ "X-Hub-Signature": "sha1=01dc10d0c83e72ed246219cdd91669667fe2ca59" }, "Hello, World!");
    await expect(verifyDelivery(hook("github"), "It's a Secret to Everybody", sha1, 0)).rejects.toMatchObject({ code: "invalid_signature" });
  });

  // The Standard Webhooks specification's example.
  const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  const AT = 1614265330 * 1000;
  const standard = (signature: string, timestamp = "1614265330") =>
    delivery({ "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek", "webhook-timestamp": timestamp, "webhook-signature": signature }, '{"test": 2432232314}');

  it("standard: the spec's example verifies, alone or among other signatures", async () => {
    const good = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
    await expect(verifyDelivery(hook("standard"), SECRET, standard(good), AT)).resolves.toEqual({ event: null, deliveryId: "msg_p5jXN8AQM9LWM0D4loKWxJek" });
    await expect(verifyDelivery(hook("standard"), SECRET, standard(`v1a,abc v1,AAAA ${good}`), AT + 299_000)).resolves.toBeTruthy();
    await expect(verifyDelivery(hook("standard"), SECRET, standard("v1,AAAA"), AT)).rejects.toMatchObject({ code: "invalid_signature" });
  });

  it("standard: refuses a timestamp more than 5 minutes away, either way", async () => {
    const good = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
    await expect(verifyDelivery(hook("standard"), SECRET, standard(good), AT + 301_000)).rejects.toMatchObject({ code: "stale_timestamp" });
    await expect(verifyDelivery(hook("standard"), SECRET, standard(good), AT - 301_000)).rejects.toMatchObject({ code: "stale_timestamp" });
    await expect(verifyDelivery(hook("standard"), SECRET, standard(good, "1614265330.5"), AT)).rejects.toMatchObject({ code: "invalid_signature" });
  });

  it("gitlab and token: the shared secret, nothing else", async () => {
    await expect(verifyDelivery(hook("gitlab"), "s3cret", delivery({ "X-Gitlab-Token": "s3cret", "X-Gitlab-Event": "Pipeline Hook" }, "{}"), 0)).resolves.toMatchObject({ event: "Pipeline Hook" });
    await expect(verifyDelivery(hook("gitlab"), "s3cret", delivery({ "X-Gitlab-Token": "s3cre" }, "{}"), 0)).rejects.toMatchObject({ code: "invalid_signature" });
    const digest = await hashToken("tok");
    await expect(verifyDelivery(hook("token"), digest, delivery({}, "", "http://x/hook/hk_a?token=tok"), 0)).resolves.toBeTruthy();
    await expect(verifyDelivery(hook("token"), digest, { ...delivery({}, ""), pathToken: "tok" }, 0)).resolves.toBeTruthy();
    await expect(verifyDelivery(hook("token"), digest, delivery({}, "", "http://x/hook/hk_a?token=tok2"), 0)).rejects.toMatchObject({ code: "invalid_signature" });
  });
});

describe("hook secrets", () => {
  it("seal under SECRETS_KEY and open again; a token credential is only hashed", async () => {
    const key = await importSecretsKey(Buffer.alloc(32, 1).toString("base64"));
    const secret = newSecret("standard");
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const sealed = await storeSecret("standard", secret, key);
    expect(JSON.stringify(sealed)).not.toContain(secret.slice(6));
    await expect(openSecret(sealed, key)).resolves.toBe(secret);
    const other = await importSecretsKey(Buffer.alloc(32, 2).toString("base64"));
    await expect(openSecret(sealed, other)).rejects.toThrow();
    await expect(openSecret(sealed, undefined)).rejects.toThrow(/SECRETS_KEY/);
    expect(await storeSecret("github", "abc", undefined)).toEqual({ plain: "abc" });
    expect(await storeSecret("token", "abc", key)).toEqual({ sha256: await hashToken("abc") });
    await expect(importSecretsKey(Buffer.alloc(16).toString("base64"))).rejects.toThrow(/32 bytes/);
  });
});
