/**
 * Redis for tests, from whatever this machine offers: REDIS_URL, else a Docker engine through
 * testcontainers, else a redis-server binary on PATH (machines without Docker, like CI runners
 * with `apt-get install redis-server`).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer, connect } from "node:net";
import { connect as connectTls } from "node:tls";
import { redisTlsFlags, type TlsFiles } from "./tls-certs.js";

export interface ProvidedRedis {
  url: string;
  stop(): Promise<void>;
}

export interface RedisProcess {
  url: string;
  port: number;
  /** The redis-server process now (another after a restart). */
  readonly pid: number;
  stop(): Promise<void>;
  /** Stops and starts again on the same port (for tests of reconnection). */
  restart(): Promise<void>;
}

const NO_REDIS =
  "No Redis for tests: set REDIS_URL, start a Docker engine, or install redis-server " +
  "(apt-get install -y redis-server)";

export async function provideRedis(): Promise<ProvidedRedis> {
  const fromEnv = process.env["REDIS_URL"];
  if (fromEnv) return { url: fromEnv, stop: async () => {} };

  const container = await tryContainer();
  if (container) return container;

  try {
    const server = await startRedisServer();
    return { url: server.url, stop: () => server.stop() };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") throw new Error(NO_REDIS, { cause: err });
    throw err;
  }
}

/** A redis:7-alpine container, or null when no container engine answers (checked quickly). */
async function tryContainer(): Promise<ProvidedRedis | null> {
  let testcontainers: typeof import("testcontainers");
  try {
    testcontainers = await import("testcontainers");
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error("container runtime check timed out")), 5000);
    });
    try {
      await Promise.race([testcontainers.getContainerRuntimeClient(), timeout]);
    } finally {
      clearTimeout(timer);
    }
  } catch {
    return null; // no engine: fall through to redis-server
  }
  const container = await new testcontainers.GenericContainer("redis:7-alpine")
    .withExposedPorts(6379)
    .withWaitStrategy(testcontainers.Wait.forLogMessage("Ready to accept connections"))
    .start();
  return {
    url: `redis://${container.getHost()}:${container.getMappedPort(6379)}`,
    stop: async () => {
      await container.stop();
    },
  };
}

/** A port nobody listens on right now (another process may still take it; good enough here). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === "object") resolve(address.port);
        else reject(new Error("could not determine a free port"));
      });
    });
  });
}

/** Children still running when the test process exits are killed, never left behind. */
const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

/** Spawns a dedicated, non-persistent redis-server; rejects with code ENOENT if none is installed. */
export interface RedisServerOptions {
  password?: string;
  /** Persist to an append-only file in this directory, so data survives a restart. */
  dataDir?: string;
  /** Serve TLS only (rediss://), with these files (test/support/tls-certs.ts). */
  tls?: TlsFiles;
}

export async function startRedisServer(port?: number, options: RedisServerOptions = {}): Promise<RedisProcess> {
  const chosen = port ?? (await freePort());
  const spawnOne = () => spawnRedis(chosen, options);
  let child = await spawnOne();
  return {
    url: `${options.tls ? "rediss" : "redis"}://127.0.0.1:${chosen}`,
    port: chosen,
    get pid() {
      return child.pid!;
    },
    stop: () => stopChild(child),
    restart: async () => {
      await stopChild(child);
      child = await spawnOne();
    },
  };
}

async function spawnRedis(port: number, { password, dataDir, tls }: RedisServerOptions): Promise<ChildProcess> {
  const persistence = dataDir
    ? ["--save", "", "--appendonly", "yes", "--appendfsync", "always", "--dir", dataDir]
    : ["--save", "", "--appendonly", "no"];
  const child = spawn(
    "redis-server",
    [
      ...(tls ? redisTlsFlags(port, tls) : ["--port", String(port)]), "--bind", "127.0.0.1", ...persistence,
      ...(password ? ["--requirepass", password] : []),
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-2000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  running.add(child);
  child.once("exit", () => running.delete(child));

  let gone = false;
  const exited = new Promise<never>((_, reject) => {
    child.once("error", (err) => {
      gone = true;
      reject(err); // ENOENT when redis-server is not installed
    });
    child.once("exit", (code) => {
      gone = true;
      reject(new Error(`redis-server on port ${port} exited (${code}) before it was ready:\n${output}`));
    });
  });
  try {
    await Promise.race([waitForServer(port, child, () => gone, password, tls), exited]);
  } catch (err) {
    child.kill("SIGKILL");
    throw err;
  }
  return child;
}

/** Polls until the server on `port` is this child: another Redis already on the port would
 *  also answer PING, so compare INFO's process_id. */
async function waitForServer(
  port: number,
  child: ChildProcess,
  gone: () => boolean,
  password?: string,
  tls?: TlsFiles,
): Promise<void> {
  const deadline = Date.now() + 10_000;
  const auth = password ? `AUTH ${password}\r\n` : "";
  while (Date.now() < deadline && !gone()) {
    const info = await ask(port, `${auth}INFO server\r\n`, tls).catch(() => "");
    if (info.includes(`process_id:${child.pid}\r\n`)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`redis-server on port ${port} did not answer within 10 s`);
}

/** One raw RESP request; resolves with whatever arrived within a short time. */
function ask(port: number, request: string, tls?: TlsFiles): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls
      ? connectTls({ port, host: "127.0.0.1", ca: readFileSync(tls.caFile) })
      : connect(port, "127.0.0.1");
    let reply = "";
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(reply);
    }, 500);
    socket.on(tls ? "secureConnect" : "connect", () => socket.write(request));
    socket.on("data", (chunk) => {
      reply += chunk.toString();
      if (reply.includes("process_id:") && reply.endsWith("\r\n")) {
        clearTimeout(timer);
        socket.destroy();
        resolve(reply);
      }
    });
    socket.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill("SIGKILL"), 5000);
    child.once("exit", () => {
      clearTimeout(force);
      resolve();
    });
    child.kill("SIGTERM");
  });
}
