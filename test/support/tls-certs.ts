/**
 * Throwaway TLS material for tests, made with `openssl` at test time into a temporary directory
 * (nothing is committed): a CA, and a server certificate it signed for 127.0.0.1 (IP SAN) and
 * localhost. Node checks an address like 127.0.0.1 against the certificate's IP SANs only, never
 * its CN (docs/FACTS.md). The same certificate serves every redis-server of a topology, and its
 * clientAuth usage lets them present it to each other (replication, cluster bus, sentinels).
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface TlsFiles {
  /** PEM of the CA, as REDIS_CA_FILE takes it. */
  caFile: string;
  certFile: string;
  keyFile: string;
}

export interface TlsMaterial extends TlsFiles {
  dir: string;
  /** Removes the directory and everything in it. */
  remove(): Promise<void>;
}

// A minimal request config, so the machine's openssl.cnf (extensions, prompts) plays no part.
const REQUEST_CONFIG = [
  "[req]",
  "distinguished_name = dn",
  "prompt = no",
  "[dn]",
  "CN = realtime-svg test",
  "[ca]",
  "basicConstraints = critical, CA:TRUE",
  "keyUsage = critical, keyCertSign, cRLSign",
  "subjectKeyIdentifier = hash",
  "",
].join("\n");

const SERVER_EXTENSIONS = [
  "basicConstraints = critical, CA:FALSE",
  "keyUsage = critical, digitalSignature",
  "extendedKeyUsage = serverAuth, clientAuth",
  "subjectAltName = IP:127.0.0.1, DNS:localhost",
  "",
].join("\n");

const EC_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

/** A fresh CA and a server certificate signed by it, valid for a day. */
export async function makeTlsCerts(): Promise<TlsMaterial> {
  const dir = await mkdtemp(join(tmpdir(), "realtime-svg-tls-"));
  const path = (name: string) => join(dir, name);
  try {
    await writeFile(path("req.cnf"), REQUEST_CONFIG);
    await writeFile(path("server.ext"), SERVER_EXTENSIONS);
    const openssl = (...args: string[]) => run("openssl", args, { cwd: dir, timeout: 10_000 });
    await openssl("req", "-x509", ...EC_KEY, "-config", "req.cnf", "-extensions", "ca", "-subj", "/CN=realtime-svg test CA",
      "-days", "1", "-keyout", "ca.key", "-out", "ca.crt");
    await openssl("req", "-new", ...EC_KEY, "-config", "req.cnf", "-subj", "/CN=localhost", "-keyout", "server.key", "-out", "server.csr");
    await openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
      "-set_serial", String(Date.now()), "-days", "1", "-extfile", "server.ext", "-out", "server.crt");
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    if ((err as NodeJS.ErrnoException).code === "ENOENT") throw new Error("TLS tests need openssl on PATH (apt-get install -y openssl)", { cause: err });
    throw err;
  }
  return {
    dir,
    caFile: path("ca.crt"),
    certFile: path("server.crt"),
    keyFile: path("server.key"),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

/**
 * redis-server flags that serve TLS only, on `port`: the plain port is off (`--port 0`), and
 * clients need no certificate of their own (the server presents none to Redis).
 */
export function redisTlsFlags(port: number, tls: TlsFiles): string[] {
  return [
    "--port", "0", "--tls-port", String(port),
    "--tls-cert-file", tls.certFile, "--tls-key-file", tls.keyFile, "--tls-ca-cert-file", tls.caFile,
    "--tls-auth-clients", "no",
  ];
}

/** redis-cli flags that reach such a server. */
export function redisCliTlsFlags(tls: TlsFiles): string[] {
  return ["--tls", "--cacert", tls.caFile];
}
