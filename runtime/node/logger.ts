import { pino, type Logger } from "pino";

/** JSON lines on stdout. Secrets never reach a log line, whatever a caller passes. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: "realtime-svg" },
    timestamp: pino.stdTimeFunctions.isoTime,
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
  });
}
