/**
 * AWS Lambda entry point that runs the migrations with the master credentials.
 *
 * Reads the RDS-managed master secret (`DB_SECRET_ARN`, JSON `{username, password}`) at run
 * time, connects with TLS verification, applies pending migrations under the advisory lock,
 * configures how `app_user` logs in (IAM, or the password from `APP_USER_SECRET_ARN`), and
 * returns `{ applied: [...], skipped: n }`. `{"action":"status"}` changes nothing and returns
 * what is applied, pending and mismatched (see `migrationStatus`). Any failure is logged and re-thrown so that the
 * invocation (and the deployment that triggered it) fails.
 *
 * The bundle (see `app/build.ts`) embeds the migration files and calls
 * {@link createMigrateHandler}; the {@link handler} exported here reads them from
 * `app/migrations/` and exists for unbundled runs (ts-node, tests).
 */
import { Client } from "pg";
import { type AppRoleAuth, configureAppRole } from "./app-role";
import { APP_DB_ROLE, DEFAULT_MIGRATION_ACTION, ENV, MIGRATION_ACTIONS, type MigrationAction } from "../contract";
import { type ConnectionSettings, type Env, loadMigrateConfig, type MigrateConfig } from "./config";
import {
    type CredentialSource,
    parseCredentialSecret,
    type SecretFetcher,
    SecretsManagerCredentialSource,
    secretsManagerFetcher,
    StaticCredentialSource,
} from "./credentials";
import { withConnectRetry } from "./connect-retry";
import { isAuthFailure } from "./db";
import { createLogger, describeError, type Logger, registerSecret } from "./log";
import { migrationStatus, type MigrationResult, type MigrationStatus, runMigrations } from "./migrate";
import { defaultMigrationsDir, loadMigrationsFromDir, type Migration } from "./migrations";

export interface MigrateHandlerDeps {
    readonly env?: Env;
    readonly fetchSecret?: SecretFetcher;
    readonly log?: Logger;
    /** Clock for the secret cache (tests). */
    readonly now?: () => number;
}

/** What one invocation returns: `{applied, skipped}` for `migrate`, a {@link MigrationStatus} for `status`. */
export type MigrateHandlerResult = MigrationResult | MigrationStatus;

export type MigrateHandler = (event?: unknown) => Promise<MigrateHandlerResult>;

/**
 * The action an event asks for: `{"action": "status"}` or `{"action": "migrate"}`; an event
 * without `action` (`{}`, no payload) migrates, as every invocation did before `status` existed.
 * Throws on anything else (another action, an event that is not an object), before touching
 * the database.
 */
export function migrationAction(event: unknown): MigrationAction {
    if (event === undefined || event === null) return DEFAULT_MIGRATION_ACTION;
    if (typeof event !== "object" || Array.isArray(event)) {
        // e.g. --payload '"status"': never guess, and never migrate by accident.
        throw new Error(
            `the event must be a JSON object such as {"action":"status"} (got ${JSON.stringify(event)?.slice(0, 100)})`,
        );
    }
    if (!("action" in event)) return DEFAULT_MIGRATION_ACTION;
    const action = (event as { action: unknown }).action;
    if (typeof action === "string" && (MIGRATION_ACTIONS as readonly string[]).includes(action))
        return action as MigrationAction;
    throw new Error(
        `unknown action ${JSON.stringify(action)}; expected ${MIGRATION_ACTIONS.map((a) => `{"action":"${a}"}`).join(" or ")} (no action: ${DEFAULT_MIGRATION_ACTION})`,
    );
}

/**
 * Opens one connection; after an authentication failure, refreshes the credentials and tries
 * once more; after a refused, reset or timed-out attempt, tries again with backoff for
 * `settings.connectRetryMillis` (a database resuming from a pause or restarting).
 */
export async function connectWithRetry(
    settings: ConnectionSettings,
    source: CredentialSource,
    log: Logger,
): Promise<Client> {
    let refreshed = false;
    const attempt = async (): Promise<Client> => {
        const credentials = await source.getCredentials();
        const client = new Client({
            host: settings.host,
            port: settings.port,
            database: settings.database,
            ssl: settings.ssl,
            user: credentials.username,
            password: credentials.password,
            connectionTimeoutMillis: settings.connectionTimeoutMillis,
            application_name: "private-app-migrate",
            ...(settings.statementTimeoutMillis > 0 ? { statement_timeout: settings.statementTimeoutMillis } : {}),
        });
        client.on("error", (err) => log.warn("migration connection error", { error: describeError(err) }));
        try {
            await client.connect();
            return client;
        } catch (err) {
            await client.end().catch(() => undefined);
            throw err;
        }
    };
    return withConnectRetry(
        async () => {
            try {
                return await attempt();
            } catch (err) {
                if (refreshed || !isAuthFailure(err)) throw err;
                refreshed = true;
                log.warn("master authentication failed; refreshing the secret and retrying once", {
                    error: describeError(err),
                });
                source.invalidate();
                return await attempt();
            }
        },
        { retryMillis: settings.connectRetryMillis, what: "migration database", log },
    );
}

function masterCredentials(
    spec: MigrateConfig["master"],
    fetchSecret: SecretFetcher,
    now?: () => number,
): CredentialSource {
    switch (spec.kind) {
        case "secretsManager":
            // The RDS-managed master secret carries the username; no fallback.
            return new SecretsManagerCredentialSource({
                secretArn: spec.secretArn,
                fetchSecret,
                ttlMillis: spec.ttlSeconds * 1000,
                ...(now !== undefined ? { now } : {}),
            });
        case "static":
            return new StaticCredentialSource({ username: spec.user ?? "", password: spec.password });
        case "iam":
            throw new Error("the migration function authenticates with the master secret, not IAM");
    }
}

async function resolveAppRoleAuth(config: MigrateConfig, fetchSecret: SecretFetcher): Promise<AppRoleAuth> {
    switch (config.appUser.kind) {
        case "iam":
            return { kind: "iam" };
        case "static":
            registerSecret(config.appUser.password);
            return { kind: "password", password: config.appUser.password };
        case "secretsManager": {
            const secretString = await fetchSecret(config.appUser.secretArn);
            registerSecret(secretString);
            const { username, password } = parseCredentialSecret(secretString, APP_DB_ROLE);
            registerSecret(password);
            if (username !== APP_DB_ROLE) {
                throw new Error(
                    `${ENV.APP_USER_SECRET_ARN}: the secret's username must be "${APP_DB_ROLE}" (the role the migrations create)`,
                );
            }
            return { kind: "password", password };
        }
    }
}

/**
 * A migration handler over a fixed list of migrations. Configuration is read on each
 * invocation; the master secret is cached between warm invocations (TTL) and refreshed
 * after an authentication failure.
 */
export function createMigrateHandler(
    migrations: readonly Migration[] | (() => readonly Migration[]),
    deps: MigrateHandlerDeps = {},
): MigrateHandler {
    const log = deps.log ?? createLogger({ service: "private-app-migrate" });
    let fetchSecret: SecretFetcher | undefined = deps.fetchSecret;
    let master: { key: string; source: CredentialSource } | undefined;
    return async (event) => {
        const started = Date.now();
        let action: MigrationAction = DEFAULT_MIGRATION_ACTION;
        try {
            action = migrationAction(event);
            const config = loadMigrateConfig(deps.env ?? process.env);
            const list = typeof migrations === "function" ? migrations() : migrations;
            fetchSecret ??= secretsManagerFetcher();
            // Keep the secret cache across warm invocations while the secret stays the same.
            const key =
                config.master.kind === "secretsManager"
                    ? `${config.master.secretArn}|${config.master.ttlSeconds}`
                    : undefined;
            if (key === undefined || master?.key !== key)
                master = { key: key ?? "", source: masterCredentials(config.master, fetchSecret, deps.now) };
            if (action === "status") {
                const client = await connectWithRetry(config.connection, master.source, log);
                try {
                    const status = await migrationStatus(client, list);
                    log.info("migration status", {
                        applied: status.applied.length,
                        pending: status.pending,
                        mismatches: status.mismatches.map((m) => `${m.migration}: ${m.kind}`),
                        ms: Date.now() - started,
                    });
                    return status;
                } finally {
                    await client.end().catch(() => undefined);
                }
            }
            const appRole = await resolveAppRoleAuth(config, fetchSecret);
            const client = await connectWithRetry(config.connection, master.source, log);
            try {
                const result = await runMigrations(client, list, {
                    log,
                    lockTimeoutMillis: config.lockTimeoutMillis,
                    afterMigrations: (c) => configureAppRole(c, appRole, log),
                });
                log.info("migrations finished", {
                    applied: result.applied,
                    skipped: result.skipped,
                    ms: Date.now() - started,
                });
                return result;
            } finally {
                await client.end().catch(() => undefined);
            }
        } catch (err) {
            log.error(action === "status" ? "migration status failed" : "migrations failed", {
                error: describeError(err),
                ms: Date.now() - started,
            });
            throw err;
        }
    };
}

let fromDisk: MigrateHandler | undefined;

/** Unbundled entry point: migrations read from `app/migrations/` on first use. */
export async function handler(event?: unknown): Promise<MigrateHandlerResult> {
    fromDisk ??= createMigrateHandler(() => loadMigrationsFromDir(defaultMigrationsDir()));
    return fromDisk(event);
}
