import { ConfigError, helpText, loadConfig, redactedConfig } from "../config.js";
import { createLogger } from "./logger.js";
import { startServer } from "./server.js";
import { portsFromConfig } from "./ports-from-config.js";

const argv = process.argv.slice(2);
if (argv.includes("--help") || argv.includes("-h")) {
  process.stdout.write(helpText());
  process.exit(0);
}

/** A setting this process cannot run with: one line naming it, and exit code 2 (as for --help's table). */
function refuse(error: unknown): never {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`realtime-svg: ${error.message}\n`);
  process.exit(2);
}

let config;
try {
  config = loadConfig(process.env, argv);
} catch (error) {
  refuse(error);
}

const log = createLogger(config.logLevel);
let ports;
try {
  ports = portsFromConfig(config, log);
} catch (error) {
  refuse(error);
}
let running;
try {
  running = await startServer(config, ports, log);
} catch (error) {
  refuse(error);
}
const { maxConnections, maxStreams } = running.budget;
log.info({ url: running.url, store: ports.store.kind, config: redactedConfig(config), maxConnections, maxStreams }, "listening");

/**
 * SIGTERM is how Kubernetes, Docker and systemd stop a replica: it drains (DRAIN_SECONDS), since
 * its image streams cannot reconnect. SIGINT is a person at a terminal (Ctrl-C): it stops within
 * SHUTDOWN_GRACE_MS. A second signal cuts a drain short (the grace still applies); a third exits
 * at once.
 */
const { drainSeconds } = config;
const server = running;
let signals = 0;
function stop(signal: NodeJS.Signals): void {
  signals++;
  if (signals === 1) {
    const drain = signal === "SIGTERM" && drainSeconds > 0;
    log.info({ signal, drain }, "shutting down");
    (drain ? server.drain() : server.shutdown()).then(
      () => {
        log.info("stopped");
        process.exit(0);
      },
      (error) => {
        log.error({ err: error }, "shutdown failed");
        process.exit(1);
      },
    );
  } else if (signals === 2) {
    log.info({ signal }, "second signal: stopping without the rest of the drain");
    void server.shutdown();
  } else {
    log.warn({ signal }, "third signal: exiting now");
    process.exit(1);
  }
}
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
