import { describe, expect, it } from "vitest";
import { PreviewAdmission } from "../../handlers/sessions/preview-admission.js";

const request = (headers: Record<string, string> = {}) => new Request("http://x/api/preview", { method: "POST", headers });

describe("preview admission", () => {
  it("refuses a client's preview past MAX_PREVIEWS_PER_CLIENT with 429 too_many_previews and Retry-After", () => {
    const admission = new PreviewAdmission({ maxPreviews: 16, maxPreviewsPerClient: 2 }, undefined);
    const first = admission.admit(request(), { clientAddress: "a" });
    admission.admit(request(), { clientAddress: "a" });
    expect(() => admission.admit(request(), { clientAddress: "a" })).toThrow(
      expect.objectContaining({ code: "too_many_previews", status: 429, headers: { "Retry-After": "1" } }),
    );
    // Another client is not affected, and a finished preview gives its slot back (once).
    admission.admit(request(), { clientAddress: "b" });
    first();
    first();
    expect(admission.held("a")).toBe(1);
    admission.admit(request(), { clientAddress: "a" });
    expect(admission.held()).toBe(3);
  });

  it("refuses past MAX_PREVIEWS with 503 previews_busy, whoever asks", () => {
    const admission = new PreviewAdmission({ maxPreviews: 2, maxPreviewsPerClient: 0 }, undefined);
    const release = admission.admit(request(), { clientAddress: "a" });
    admission.admit(request(), {});
    expect(() => admission.admit(request(), { clientAddress: "c" })).toThrow(expect.objectContaining({ code: "previews_busy", status: 503 }));
    release();
    expect(() => admission.admit(request(), { clientAddress: "c" })).not.toThrow();
  });

  it("keys clients as streams are keyed: the trusted proxy's entry, else the peer", () => {
    const admission = new PreviewAdmission({ maxPreviews: 16, maxPreviewsPerClient: 1 }, { header: "x-forwarded-for", hops: 1 });
    admission.admit(request({ "x-forwarded-for": "spoofed, 10.0.0.1" }), { clientAddress: "proxy" });
    expect(admission.held("10.0.0.1")).toBe(1);
    expect(() => admission.admit(request({ "x-forwarded-for": "other, 10.0.0.1" }), { clientAddress: "proxy" })).toThrow(
      expect.objectContaining({ code: "too_many_previews" }),
    );
    admission.admit(request({ "x-forwarded-for": "10.0.0.2" }), { clientAddress: "proxy" });
  });

  it("a request with no client address counts only against MAX_PREVIEWS", () => {
    const admission = new PreviewAdmission({ maxPreviews: 3, maxPreviewsPerClient: 1 }, undefined);
    admission.admit(request(), {});
    admission.admit(request(), {});
    expect(admission.held()).toBe(2);
  });
});
