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
const ports = portsFromConfig(config, log);
let running;
try {
  running = await startServer(config, ports, log);
} catch (error) {
  refuse(error);
}
const { maxConnections, maxStreams } = running.budget;
log.info({ url: running.url, store: ports.store.kind, config: redactedConfig(config), maxConnections, maxStreams }, "listening");

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    log.info({ signal }, "shutting down");
    running.shutdown().then(
      () => {
        log.info("stopped");
        process.exit(0);
      },
      (error) => {
        log.error({ err: error }, "shutdown failed");
        process.exit(1);
      },
    );
  });
}
