/**
 * Structured JSON logging with secret redaction.
 *
 * Every line is one JSON object (CloudWatch Logs and most collectors parse it). Secrets the
 * process learns at run time (database passwords, IAM auth tokens) are registered with
 * {@link registerSecret}; every string that reaches the log, including error messages and
 * stacks, has each registered secret replaced by `[REDACTED]`. This is a second line of
 * defence: the code never passes a secret to the logger on purpose.
 */
import { ENV } from "../contract";

export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogFields = Record<string, unknown>;

export interface Logger {
    debug(message: string, fields?: LogFields): void;
    info(message: string, fields?: LogFields): void;
    warn(message: string, fields?: LogFields): void;
    error(message: string, fields?: LogFields): void;
    /** A logger that adds `fields` to every line. */
    child(fields: LogFields): Logger;
}

const REDACTED = "[REDACTED]";
/** How many secrets are remembered. IAM tokens change per connection; old ones age out. */
const MAX_REMEMBERED_SECRETS = 16;
/** Shorter strings are not treated as secrets: redacting "a" would mangle every line. */
const MIN_SECRET_LENGTH = 4;

const secrets: string[] = [];

/** Remembers a secret value so that it is redacted from every later log line. */
export function registerSecret(value: string | undefined | null): void {
    if (typeof value !== "string" || value.length < MIN_SECRET_LENGTH) return;
    const existing = secrets.indexOf(value);
    if (existing !== -1) secrets.splice(existing, 1);
    secrets.push(value);
    if (secrets.length > MAX_REMEMBERED_SECRETS) secrets.shift();
}

/** Replaces every registered secret in `text` with `[REDACTED]`. */
export function redact(text: string): string {
    let out = text;
    // Longest first, so that a secret containing another one is removed whole.
    for (const secret of [...secrets].sort((a, b) => b.length - a.length)) {
        if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    }
    return out;
}

/**
 * A log-safe summary of an error: name, message, PostgreSQL SQLSTATE / Node error code.
 * Never the error object itself (pg errors carry fields such as `where` and `detail` that can
 * echo data), and the message goes through {@link redact}.
 */
export function describeError(err: unknown): { name: string; message: string; code?: string } {
    if (err instanceof Error) {
        const code = (err as { code?: unknown }).code;
        return {
            name: err.name,
            message: redact(err.message),
            ...(typeof code === "string" ? { code } : {}),
        };
    }
    return { name: "NonError", message: redact(String(err)) };
}

function safeFields(fields: LogFields): LogFields {
    const out: LogFields = {};
    for (const [key, value] of Object.entries(fields)) {
        out[key] = value instanceof Error ? describeError(value) : value;
    }
    return out;
}

const LEVEL_ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

function parseLevel(value: string | undefined): LogLevel {
    return value === "debug" || value === "info" || value === "warn" || value === "error" ? value : "info";
}

class JsonLogger implements Logger {
    constructor(
        private readonly base: LogFields,
        private readonly minLevel: LogLevel,
    ) {}

    debug(message: string, fields?: LogFields): void {
        this.write("debug", message, fields);
    }
    info(message: string, fields?: LogFields): void {
        this.write("info", message, fields);
    }
    warn(message: string, fields?: LogFields): void {
        this.write("warn", message, fields);
    }
    error(message: string, fields?: LogFields): void {
        this.write("error", message, fields);
    }
    child(fields: LogFields): Logger {
        return new JsonLogger({ ...this.base, ...fields }, this.minLevel);
    }

    private write(level: LogLevel, message: string, fields: LogFields | undefined): void {
        if (LEVEL_ORDER[level] < LEVEL_ORDER[this.minLevel]) return;
        let line: string;
        try {
            line = JSON.stringify({ level, msg: message, ...this.base, ...safeFields(fields ?? {}) });
        } catch {
            line = JSON.stringify({ level, msg: message, ...this.base, logError: "fields not serializable" });
        }
        const text = redact(line);
        if (level === "error" || level === "warn") console.error(text);
        else console.log(text);
    }
}

/** The process logger; level from `LOG_LEVEL` (debug, info, warn, error; default info). */
export function createLogger(fields: LogFields = {}, level: string | undefined = process.env[ENV.LOG_LEVEL]): Logger {
    return new JsonLogger(fields, parseLevel(level));
}

/** A logger that drops everything (tests, library use). */
export const silentLogger: Logger = {
    debug: () => undefined,
    info: () => undefined,
    warn: () => undefined,
    error: () => undefined,
    child: () => silentLogger,
};
