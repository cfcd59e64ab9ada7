import { pino, type DestinationStream, type Logger } from "pino";
import { isoTime } from "../../handlers/iso-time.js";

/** pino's isoTime, formatted by isoTime (about 0.5 µs less per line; every request logs one). */
const time = () => `,"time":"${isoTime(Date.now())}"`;

/** JSON lines on stdout (or `destination`). Secrets never reach a log line, whatever a caller passes. */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { service: "realtime-svg" },
    timestamp: time,
    redact: {
      paths: [
        "authorization",
        "headers.authorization",
        "req.headers.authorization",
        "config.apiKey",
        "config.redisPassword",
        "config.metricsToken",
        "config.secretsKey",
        "apiKey",
        "secretsKey",
        "secret",
        "redisPassword",
        "write_token",
      ],
      censor: "***",
    },
  };
  return destination ? pino(options, destination) : pino(options);
}

/**
 * A writer of info lines whose fields come encoded already, for the one line every request logs:
 * the same line `log.info(fields, msg)` writes, without pino's walk over the fields and its
 * redaction (about 2 µs of a write's CPU). The caller puts no secret in `fields`. Only for a
 * logger made by createLogger (one plain destination); its level is checked on every line.
 */
export function infoLineWriter(log: Logger): (fields: string, msg: string) => void {
  const internals = log as unknown as Record<symbol, unknown>;
  const stream = internals[pino.symbols.streamSym] as DestinationStream;
  const bindings = internals[pino.symbols.chindingsSym] as string; // ',"service":"realtime-svg"'
  return (fields, msg) => {
    if (log.isLevelEnabled("info")) stream.write(`{"level":30${time()}${bindings},${fields},"msg":${JSON.stringify(msg)}}\n`);
  };
}
