/** The pure parts of the connection and stream caps, CORS origins and listen errors. */
import { describe, expect, it } from "vitest";
import { clientKey, StreamAdmission } from "../../handlers/http/admission.js";
import { ConfigError, loadConfig } from "../../runtime/config.js";
import { connectionBudget, openFilesLimit, RESERVED_CONNECTIONS, RESERVED_FILES } from "../../runtime/node/connection-budget.js";
import { listenError } from "../../runtime/node/server.js";

const request = (headers: Record<string, string> = {}) => new Request("http://x/stream/a", { headers });
const xff = { header: "x-forwarded-for", hops: 1 };
const peer = (clientAddress: string) => ({ clientAddress });
/** A peer that counts how often its address is read (the Node host's read is a getpeername call). */
function countingPeer(clientAddress: string) {
  const counted = {
    reads: 0,
    get clientAddress() {
      counted.reads++;
      return clientAddress;
    },
  };
  return counted;
}

describe("the client a stream counts against", () => {
  it("is the connection's peer when no proxy is trusted, whatever the headers say", () => {
    expect(clientKey(request({ "X-Forwarded-For": "1.2.3.4" }), peer("10.0.0.1"), undefined)).toBe("10.0.0.1");
    expect(clientKey(request(), {}, undefined)).toBeUndefined();
  });

  it("is the trusted header's right-most entry, or the one `hops` from the right", () => {
    const forwarded = request({ "X-Forwarded-For": "6.6.6.6, 203.0.113.7, 10.1.0.2" });
    expect(clientKey(forwarded, peer("10.0.0.1"), xff)).toBe("10.1.0.2");
    expect(clientKey(forwarded, peer("10.0.0.1"), { ...xff, hops: 2 })).toBe("203.0.113.7");
    expect(clientKey(forwarded, peer("10.0.0.1"), { ...xff, hops: 9 })).toBe("6.6.6.6");
    expect(clientKey(request({ "X-Real-IP": "203.0.113.8" }), peer("10.0.0.1"), { header: "x-real-ip", hops: 1 })).toBe("203.0.113.8");
  });

  it("falls back to the peer when the trusted header is absent or empty", () => {
    expect(clientKey(request(), peer("10.0.0.1"), xff)).toBe("10.0.0.1");
    expect(clientKey(request({ "X-Forwarded-For": " , " }), peer("10.0.0.1"), xff)).toBe("10.0.0.1");
  });
});

describe("the peer's address", () => {
  it("is read only where a per-client cap counts and no trusted header names the client", () => {
    const uncapped = countingPeer("10.0.0.1");
    expect(new StreamAdmission({ maxStreams: 10, maxStreamsPerClient: 0 }, undefined).admit(request(), 0, uncapped)).toBeUndefined();
    expect(uncapped.reads).toBe(0);

    const forwarded = countingPeer("10.0.0.1");
    const behindProxy = new StreamAdmission({ maxStreams: 10, maxStreamsPerClient: 2 }, xff);
    expect(behindProxy.admit(request({ "X-Forwarded-For": "203.0.113.7" }), 0, forwarded)).toBe("203.0.113.7");
    expect(forwarded.reads).toBe(0);
    expect(behindProxy.admit(request(), 0, forwarded)).toBe("10.0.0.1");
    expect(forwarded.reads).toBe(1);

    const capped = countingPeer("10.0.0.2");
    expect(new StreamAdmission({ maxStreams: 10, maxStreamsPerClient: 2 }, undefined).admit(request(), 0, capped)).toBe("10.0.0.2");
    expect(capped.reads).toBe(1);
  });
});

describe("stream admission", () => {
  it("refuses past MAX_STREAMS with 503 too_many_streams and Retry-After", () => {
    const admission = new StreamAdmission({ maxStreams: 2, maxStreamsPerClient: 0 }, undefined);
    expect(admission.admit(request(), 1, peer("a"))).toBeUndefined();
    expect(() => admission.admit(request(), 2, peer("a"))).toThrow(expect.objectContaining({ code: "too_many_streams", status: 503, headers: { "Retry-After": "5" } }));
  });

  it("counts per client and gives slots back", () => {
    const admission = new StreamAdmission({ maxStreams: 100, maxStreamsPerClient: 2 }, undefined);
    expect(admission.admit(request(), 0, peer("a"))).toBe("a");
    expect(admission.admit(request(), 1, peer("a"))).toBe("a");
    expect(admission.admit(request(), 2, peer("b"))).toBe("b");
    expect(() => admission.admit(request(), 3, peer("a"))).toThrow(/this client holds its maximum of 2 streams/);
    admission.release("a");
    expect(admission.heldBy("a")).toBe(1);
    expect(admission.admit(request(), 2, peer("a"))).toBe("a");
    admission.release("a");
    admission.release("a");
    expect(admission.heldBy("a")).toBe(0);
    // A client the host cannot name is not capped per client.
    expect(admission.admit(request(), 1, {})).toBeUndefined();
  });
});

describe("the connection budget", () => {
  it("defaults MAX_CONNECTIONS to MAX_STREAMS + 1000 when the open files allow it", () => {
    expect(connectionBudget({ maxStreams: 10_000 }, 1_048_576)).toEqual({ maxConnections: 11_000, maxStreams: 10_000, lowered: [] });
    expect(connectionBudget({ maxStreams: 10_000 }, undefined)).toMatchObject({ maxConnections: 11_000 });
    expect(connectionBudget({ maxStreams: 10_000, maxConnections: 20_000 }, Infinity)).toMatchObject({ maxConnections: 20_000, lowered: [] });
  });

  it("keeps RESERVED_FILES below the open-files limit and RESERVED_CONNECTIONS free of streams", () => {
    const budget = connectionBudget({ maxStreams: 10_000 }, 1_024);
    expect(budget.maxConnections).toBe(1_024 - RESERVED_FILES);
    expect(budget.maxStreams).toBe(1_024 - RESERVED_FILES - RESERVED_CONNECTIONS);
    expect(budget.lowered).toHaveLength(2);
    expect(budget.lowered[0]).toMatch(/^MAX_CONNECTIONS lowered from 11000 to 896: the open-files limit is 1024/);
    expect(connectionBudget({ maxStreams: 500, maxConnections: 300 }, 1_048_576)).toMatchObject({ maxConnections: 300, maxStreams: 236 });
  });

  it("reads this process's open-files limit", () => {
    const limit = openFilesLimit();
    expect(limit === Infinity || (typeof limit === "number" && limit > 0)).toBe(true);
  });
});

describe("listen errors", () => {
  const config = { port: 8080, host: "img.internal" };
  const failure = (code: string) => Object.assign(new Error(`listen ${code}`), { code });
  it.each([
    ["EADDRINUSE", "PORT=8080 is in use on img.internal"],
    ["EACCES", "PORT=8080 needs privileges this process lacks (use a port above 1023)"],
    ["ENOTFOUND", "HOST=img.internal does not resolve to an address"],
    ["EAI_AGAIN", "HOST=img.internal does not resolve to an address"],
    ["EADDRNOTAVAIL", "HOST=img.internal is not an address of this machine"],
  ])("%s becomes the ConfigError %j", (code, message) => {
    const error = listenError(failure(code), config);
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toBe(message);
  });

  it("passes any other failure on as it is", () => {
    const other = failure("EWHATEVER");
    expect(listenError(other, config)).toBe(other);
  });
});

describe("the settings of this change", () => {
  it("read CORS_ORIGINS as * or a list of origins", () => {
    expect(loadConfig({ CORS_ORIGINS: "*" }).corsOrigins).toBe("*");
    expect(loadConfig({ CORS_ORIGINS: "https://a.example, http://localhost:3000/" }).corsOrigins).toEqual(["https://a.example", "http://localhost:3000"]);
    expect(loadConfig({}).corsOrigins).toBeUndefined();
    for (const bad of ["https://a.example/path", "a.example", "ftp://a.example", "*, https://a.example"]) {
      expect(() => loadConfig({ CORS_ORIGINS: bad }), bad).toThrow(/^invalid CORS_ORIGINS=/);
    }
  });

  it("read TRUSTED_PROXY_HEADER as a lower-case header name, and HOST as an address or name", () => {
    expect(loadConfig({ TRUSTED_PROXY_HEADER: "X-Forwarded-For" })).toMatchObject({ trustedProxyHeader: "x-forwarded-for", trustedProxyHops: 1 });
    expect(() => loadConfig({ TRUSTED_PROXY_HEADER: "x forwarded" })).toThrow(/^invalid TRUSTED_PROXY_HEADER=/);
    for (const host of ["0.0.0.0", "::", "::1", "fe80::1%eth0", "localhost", "img.example.com"]) expect(loadConfig({ HOST: host }).host).toBe(host);
    for (const host of ["not a host", "a_b", "http://x", "[::1]"]) expect(() => loadConfig({ HOST: host }), host).toThrow(/^invalid HOST=/);
  });

  it("read the caps and the body deadline into the limits", () => {
    const config = loadConfig({ MAX_STREAMS: "200", MAX_STREAMS_PER_CLIENT: "3", BODY_TIMEOUT_MS: "2500", MAX_CONNECTIONS: "500" });
    expect(config.limits).toMatchObject({ maxStreams: 200, maxStreamsPerClient: 3, bodyTimeoutMs: 2_500 });
    expect(config.maxConnections).toBe(500);
    expect(loadConfig({}).limits).toMatchObject({ maxStreams: 10_000, maxStreamsPerClient: 0, bodyTimeoutMs: 10_000 });
  });
});
