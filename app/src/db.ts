/**
 * The connection pool, sized and timed for Lambda.
 *
 * One small pool per process (per Lambda container), created on first use and reused by every
 * invocation. The password is a function, so each new connection asks the
 * {@link CredentialSource} (a cached secret, or a fresh IAM token). When the server rejects
 * the password (rotated secret), the source is invalidated and the connection retried once.
 */
import { DatabaseError, Pool, type PoolClient, type PoolConfig, type QueryResult, type QueryResultRow } from "pg";
import { QUERY_TIMEOUT_MARGIN_MS } from "../contract";
import type { ConnectionSettings, PoolSettings } from "./config";
import { withConnectRetry } from "./connect-retry";
import type { CredentialSource } from "./credentials";
import { DatabaseUnavailableError } from "./errors";
import { describeError, type Logger, registerSecret, silentLogger } from "./log";

export { DatabaseUnavailableError };

/** SQLSTATEs of a rejected login: 28P01 invalid_password, 28000 invalid_authorization_specification (IAM/PAM). */
const AUTH_FAILURE_CODES = new Set(["28P01", "28000"]);

export function isAuthFailure(err: unknown): boolean {
    return err instanceof DatabaseError && AUTH_FAILURE_CODES.has(err.code ?? "");
}

/**
 * True when an error from a query means the connection or server is the problem (no SQLSTATE,
 * or class 08 connection exception, 53 insufficient resources, 57 operator intervention such as
 * statement timeout or admin shutdown), as opposed to a bug in the query.
 */
export function isUnavailable(err: unknown): boolean {
    if (err instanceof DatabaseUnavailableError) return true;
    if (!(err instanceof DatabaseError)) return true;
    const cls = (err.code ?? "").slice(0, 2);
    return cls === "08" || cls === "53" || cls === "57" || AUTH_FAILURE_CODES.has(err.code ?? "");
}

export interface DatabaseOptions {
    readonly connection: ConnectionSettings;
    readonly user: string;
    readonly credentials: CredentialSource;
    readonly pool: PoolSettings;
    readonly applicationName?: string;
    readonly log?: Logger;
}

/** How long a pooled connection lives at most; bounds the reach of a failover or a revoked grant. */
const MAX_CONNECTION_LIFETIME_SECONDS = 900;

export class Database {
    private pool: Pool | undefined;
    private closed = false;
    private warnedUserMismatch = false;
    private readonly log: Logger;

    constructor(private readonly options: DatabaseOptions) {
        this.log = options.log ?? silentLogger;
    }

    /** The `pg` pool options (without the password function); exposed for tests and diagnostics. */
    poolConfig(): PoolConfig {
        const { connection, pool } = this.options;
        return {
            host: connection.host,
            port: connection.port,
            database: connection.database,
            user: this.options.user,
            ssl: connection.ssl,
            max: pool.max,
            idleTimeoutMillis: pool.idleTimeoutMillis,
            connectionTimeoutMillis: connection.connectionTimeoutMillis,
            maxLifetimeSeconds: MAX_CONNECTION_LIFETIME_SECONDS,
            keepAlive: true,
            application_name: this.options.applicationName ?? "private-app-api",
            ...(connection.statementTimeoutMillis > 0
                ? {
                      statement_timeout: connection.statementTimeoutMillis,
                      // Client-side backstop for a server that stops answering (dead TCP peer).
                      query_timeout: connection.statementTimeoutMillis + QUERY_TIMEOUT_MARGIN_MS,
                  }
                : {}),
        };
    }

    private getPool(): Pool {
        if (this.closed) throw new Error("database pool is closed");
        if (this.pool === undefined) {
            const pool = new Pool({ ...this.poolConfig(), password: () => this.password() });
            // An idle connection that breaks (server restart, failover, network) emits here; without a
            // listener the process would crash. The pool drops the client by itself.
            pool.on("error", (err) => this.log.warn("idle database connection failed", { error: describeError(err) }));
            this.pool = pool;
        }
        return this.pool;
    }

    private async password(): Promise<string> {
        const credentials = await this.options.credentials.getCredentials();
        registerSecret(credentials.password);
        if (credentials.username !== this.options.user && !this.warnedUserMismatch) {
            this.warnedUserMismatch = true;
            this.log.warn("the secret names another user than DB_USER; connecting as DB_USER", {
                user: this.options.user,
            });
        }
        return credentials.password;
    }

    /**
     * A pooled connection; release it. Retries once with fresh credentials after an auth failure,
     * and, for `connection.connectRetryMillis`, after a refused, reset or timed-out attempt
     * (a database resuming or restarting).
     */
    async connect(): Promise<PoolClient> {
        const pool = this.getPool();
        let refreshed = false;
        try {
            return await withConnectRetry(
                async () => {
                    try {
                        return await pool.connect();
                    } catch (err) {
                        if (!isAuthFailure(err) || refreshed) throw err;
                        refreshed = true;
                        this.log.warn("database authentication failed; refreshing credentials and retrying once", {
                            error: describeError(err),
                        });
                        this.options.credentials.invalidate();
                        return await pool.connect();
                    }
                },
                { retryMillis: this.options.connection.connectRetryMillis, what: "database", log: this.log },
            );
        } catch (err) {
            throw new DatabaseUnavailableError(describeError(err));
        }
    }

    async query<R extends QueryResultRow = QueryResultRow>(text: string, values?: unknown[]): Promise<QueryResult<R>> {
        const client = await this.connect();
        let broken: Error | undefined;
        try {
            return await client.query<R>(text, values);
        } catch (err) {
            if (!isUnavailable(err)) throw err;
            // A connection-level failure: destroy the connection instead of returning it to the pool.
            broken = err instanceof Error ? err : new Error(String(err));
            throw new DatabaseUnavailableError(describeError(err));
        } finally {
            client.release(broken);
        }
    }

    /** True when `SELECT 1` succeeds. Never throws; the reason is logged without details that could hold secrets. */
    async ping(): Promise<boolean> {
        try {
            await this.query("SELECT 1");
            return true;
        } catch (err) {
            const reason = err instanceof DatabaseUnavailableError ? err.reason : describeError(err);
            this.log.warn("database health check failed", { error: reason });
            return false;
        }
    }

    /** Closes the pool (graceful shutdown). Idempotent. */
    async close(): Promise<void> {
        this.closed = true;
        const pool = this.pool;
        this.pool = undefined;
        if (pool !== undefined) await pool.end();
    }
}
