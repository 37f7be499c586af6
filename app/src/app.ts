/**
 * Wires configuration, credentials, the pool and the router together. Both entry points
 * (`lambda.ts`, `server.ts`) build exactly one {@link App} per process.
 */
import type { CallerSource } from "../contract";
import { type Env, loadApiConfig } from "./config";
import { type CredentialDeps, type CredentialSource, createCredentialSource } from "./credentials";
import { Database } from "./db";
import { createLogger, type Logger } from "./log";
import { PgNotesRepository } from "./notes";
import { type ApiRequest, type ApiResponse, handleRequest } from "./routes";

export interface App {
    handle(req: ApiRequest): Promise<ApiResponse>;
    readonly db: Database;
    readonly log: Logger;
    /** Which sign-in headers the server trusts (`CALLER_HEADERS`); `none` when unset. */
    readonly callerSource?: CallerSource;
    close(): Promise<void>;
}

export interface AppOverrides extends CredentialDeps {
    /** Replaces the credential source the configuration describes (tests). */
    readonly credentials?: CredentialSource;
    readonly log?: Logger;
}

/** Builds the app from the environment. Throws `ConfigError` (listing every problem) on bad configuration. */
export function createApp(env: Env, overrides: AppOverrides = {}): App {
    const config = loadApiConfig(env);
    const log = overrides.log ?? createLogger({ service: "private-app-api" });
    const credentials =
        overrides.credentials ??
        createCredentialSource(
            config.credentials,
            { host: config.connection.host, port: config.connection.port, user: config.user },
            overrides,
        );
    const db = new Database({ connection: config.connection, user: config.user, credentials, pool: config.pool, log });
    const notes = new PgNotesRepository(db);
    const deps = { notes, checkDatabase: () => db.ping(), log };
    return {
        handle: (req) => handleRequest(req, deps),
        db,
        log,
        callerSource: config.callerSource,
        close: () => db.close(),
    };
}
