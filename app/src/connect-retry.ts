/**
 * Retrying a database connection that could not be opened, for a bounded time.
 *
 * A database that is resuming (Aurora Serverless v2 at 0 ACU takes about 15 s, see
 * `PAUSABLE_DATABASE_CONNECT` in ../contract.ts), restarting or failing over refuses, resets or
 * does not answer connections for a while. With `DB_CONNECT_RETRY_SECONDS` > 0 such a failure
 * is retried with exponential backoff (250 ms doubling up to 4 s, half of it random so that many
 * containers do not retry in step) until the window has passed; each attempt is still bounded by
 * `DB_CONNECT_TIMEOUT_MS`. Errors that another attempt cannot fix (a rejected password, an
 * unverifiable certificate, an unknown database or host) are thrown at once.
 *
 * No `pg` import: errors are classified by their `code` (SQLSTATE or Node error code).
 */
import { CONNECT_RETRY_BASE_DELAY_MS, CONNECT_RETRY_MAX_DELAY_MS } from "../contract";
import { describeError, type Logger, silentLogger } from "./log";

/**
 * SQLSTATEs a server sends while it cannot serve yet: 57P03 cannot_connect_now ("the database
 * system is starting up"), 57P01 admin_shutdown, 53300 too_many_connections; class 08
 * (connection exceptions) is matched as a class.
 */
const TRANSIENT_SQLSTATES = new Set(["57P03", "57P01", "53300"]);

/** Node socket and resolver errors that a later attempt may not see. ENOTFOUND (no such host) is not one. */
const TRANSIENT_NODE_CODES = new Set([
    "ECONNREFUSED",
    "ECONNRESET",
    "ETIMEDOUT",
    "EHOSTUNREACH",
    "ENETUNREACH",
    "EHOSTDOWN",
    "EPIPE",
    "EAI_AGAIN",
]);

/** True when a failed connection attempt may succeed if tried again later. */
export function isTransientConnectError(err: unknown): boolean {
    if (typeof err !== "object" || err === null) return false;
    const code = (err as { code?: unknown }).code;
    if (typeof code === "string" && code !== "") {
        if (TRANSIENT_NODE_CODES.has(code)) return true;
        // A SQLSTATE (five characters); anything else (TLS, ENOTFOUND, ...) is not transient.
        return /^[0-9A-Z]{5}$/.test(code) && (code.startsWith("08") || TRANSIENT_SQLSTATES.has(code));
    }
    // pg's own errors carry no code: "Connection terminated due to connection timeout",
    // "timeout exceeded when trying to connect", "Connection terminated unexpectedly".
    const message = err instanceof Error ? err.message : "";
    return /timeout|connection terminated/i.test(message);
}

/** Delay before the attempt that follows the `failures`-th failure: exponential, capped, half of it random. */
export function backoffDelay(failures: number, random: () => number = Math.random): number {
    const ceiling = Math.min(CONNECT_RETRY_MAX_DELAY_MS, CONNECT_RETRY_BASE_DELAY_MS * 2 ** Math.max(0, failures - 1));
    return Math.round(ceiling / 2 + (ceiling / 2) * random());
}

export interface ConnectRetryOptions {
    /** How long after the first attempt a new attempt may still start (ms); 0 = no retry. */
    readonly retryMillis: number;
    /** What is connecting, for the log ("database", "migration database"). */
    readonly what: string;
    readonly log?: Logger;
    readonly isRetryable?: (err: unknown) => boolean;
    readonly now?: () => number;
    readonly sleep?: (ms: number) => Promise<void>;
    readonly random?: () => number;
}

/**
 * Calls `connect` until it succeeds, it fails with an error that is not transient, or
 * `retryMillis` have passed since the first attempt (then the last error is thrown). Total time
 * is at most `retryMillis` plus one attempt.
 */
export async function withConnectRetry<T>(connect: () => Promise<T>, options: ConnectRetryOptions): Promise<T> {
    const now = options.now ?? Date.now;
    const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
    const isRetryable = options.isRetryable ?? isTransientConnectError;
    const log = options.log ?? silentLogger;
    const started = now();
    const deadline = started + Math.max(0, options.retryMillis);
    for (let attempt = 1; ; attempt++) {
        try {
            const result = await connect();
            if (attempt > 1)
                log.info(`${options.what} connection succeeded after retrying`, { attempt, ms: now() - started });
            return result;
        } catch (err) {
            const left = deadline - now();
            if (!isRetryable(err) || left <= 0) {
                if (attempt > 1)
                    log.warn(`${options.what} connection failed; giving up`, {
                        attempts: attempt,
                        ms: now() - started,
                        error: describeError(err),
                    });
                throw err;
            }
            const delayMs = Math.min(left, backoffDelay(attempt, options.random));
            log.warn(`${options.what} connection failed; retrying`, {
                attempt,
                delayMs,
                retryLeftMs: left,
                error: describeError(err),
            });
            await sleep(delayMs);
        }
    }
}
