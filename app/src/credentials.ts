/**
 * Where database passwords come from.
 *
 * The connection code only sees {@link CredentialSource}; production uses Secrets Manager
 * (cached, refreshed on authentication failure) or RDS IAM auth tokens, tests inject fakes.
 * The AWS SDK modules are loaded on first use (`import()`), so a function that uses IAM auth
 * never initialises the Secrets Manager client and vice versa.
 */
import type { CredentialSpec } from "./config";
import { registerSecret } from "./log";

export interface Credentials {
    readonly username: string;
    readonly password: string;
}

export interface CredentialSource {
    /** Current credentials; may be cached. */
    getCredentials(): Promise<Credentials>;
    /** The last credentials were rejected (e.g. the password was rotated): fetch anew next time. */
    invalidate(): void;
}

/** Reads a secret's `SecretString` by ARN. */
export type SecretFetcher = (secretArn: string) => Promise<string>;

/** Generates an RDS IAM authentication token (the shape of `@aws-sdk/rds-signer`'s `Signer`). */
export interface AuthTokenSigner {
    getAuthToken(): Promise<string>;
}

export interface SignerParams {
    readonly hostname: string;
    readonly port: number;
    readonly username: string;
    readonly region: string | undefined;
}

/**
 * Parses a secret holding JSON `{ "username": ..., "password": ... }` (the format of RDS-managed
 * secrets). Errors never include the secret's content.
 */
export function parseCredentialSecret(secretString: string, fallbackUsername?: string): Credentials {
    let parsed: unknown;
    try {
        parsed = JSON.parse(secretString);
    } catch {
        throw new Error('database secret is not valid JSON (expected {"username": ..., "password": ...})');
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
        throw new Error('database secret must be a JSON object with "username" and "password"');
    }
    const { username, password } = parsed as { username?: unknown; password?: unknown };
    if (typeof password !== "string" || password === "") {
        throw new Error('database secret has no non-empty string "password"');
    }
    const user = typeof username === "string" && username !== "" ? username : fallbackUsername;
    if (user === undefined) throw new Error('database secret has no non-empty string "username"');
    return { username: user, password };
}

export interface SecretsManagerSourceOptions {
    readonly secretArn: string;
    readonly fetchSecret: SecretFetcher;
    /** How long a fetched secret is reused (ms). 0 = fetch for every new connection. */
    readonly ttlMillis: number;
    /**
     * `invalidate()` is ignored when the cached value is younger than this, so that a burst of
     * failing connections triggers one refetch, not one per connection. Default 1000 ms.
     */
    readonly minRefreshIntervalMillis?: number;
    /** Used when the secret has no `username` (a secret holding only a password). */
    readonly fallbackUsername?: string;
    readonly now?: () => number;
}

/**
 * Credentials from a Secrets Manager secret, cached in memory for a TTL. Concurrent callers
 * share one in-flight fetch. After a rotation the first authentication failure calls
 * `invalidate()` and the next `getCredentials()` reads the new value.
 */
export class SecretsManagerCredentialSource implements CredentialSource {
    private cached: { value: Credentials; fetchedAt: number } | undefined;
    private inflight: Promise<Credentials> | undefined;
    private generation = 0;
    private readonly now: () => number;
    private readonly minRefreshIntervalMillis: number;

    constructor(private readonly options: SecretsManagerSourceOptions) {
        this.now = options.now ?? Date.now;
        this.minRefreshIntervalMillis = options.minRefreshIntervalMillis ?? 1_000;
    }

    getCredentials(): Promise<Credentials> {
        const cached = this.cached;
        if (cached !== undefined && this.now() - cached.fetchedAt < this.options.ttlMillis) {
            return Promise.resolve(cached.value);
        }
        if (this.inflight === undefined) {
            const generation = this.generation;
            const fetching = this.fetch().then((value) => {
                if (generation === this.generation) this.cached = { value, fetchedAt: this.now() };
                return value;
            });
            this.inflight = fetching;
            const clear = (): void => {
                if (this.inflight === fetching) this.inflight = undefined;
            };
            fetching.then(clear, clear);
        }
        return this.inflight;
    }

    invalidate(): void {
        const cached = this.cached;
        if (cached !== undefined && this.now() - cached.fetchedAt < this.minRefreshIntervalMillis) return;
        this.cached = undefined;
        this.inflight = undefined;
        this.generation++;
    }

    private async fetch(): Promise<Credentials> {
        const secretString = await this.options.fetchSecret(this.options.secretArn);
        registerSecret(secretString);
        const credentials = parseCredentialSecret(secretString, this.options.fallbackUsername);
        registerSecret(credentials.password);
        return credentials;
    }
}

/**
 * RDS IAM authentication: a fresh token (valid 15 minutes, used only to open a connection) for
 * every new connection. Signing is local (SigV4 presigning), so there is nothing to cache.
 */
export class IamCredentialSource implements CredentialSource {
    constructor(
        private readonly username: string,
        private readonly signer: AuthTokenSigner,
    ) {}

    async getCredentials(): Promise<Credentials> {
        const token = await this.signer.getAuthToken();
        registerSecret(token);
        return { username: this.username, password: token };
    }

    invalidate(): void {
        // Every call signs a new token already.
    }
}

/** A fixed password (local development and tests against a loopback server). */
export class StaticCredentialSource implements CredentialSource {
    constructor(private readonly credentials: Credentials) {
        registerSecret(credentials.password);
    }

    async getCredentials(): Promise<Credentials> {
        return this.credentials;
    }

    invalidate(): void {
        // Nothing to refresh.
    }
}

/** Reads `SecretString` with AWS SDK v3; the client is created on first use. */
export function secretsManagerFetcher(): SecretFetcher {
    let client: Promise<{ send(secretArn: string): Promise<string | undefined> }> | undefined;
    return async (secretArn) => {
        client ??= import("@aws-sdk/client-secrets-manager").then(({ SecretsManagerClient, GetSecretValueCommand }) => {
            const sm = new SecretsManagerClient({});
            return {
                send: async (arn: string) => (await sm.send(new GetSecretValueCommand({ SecretId: arn }))).SecretString,
            };
        });
        const secretString = await (await client).send(secretArn);
        if (secretString === undefined)
            throw new Error(`secret ${secretArn} has no SecretString (binary secrets are not supported)`);
        return secretString;
    };
}

/** `@aws-sdk/rds-signer`'s `Signer`, created on first use. Region defaults to the runtime's. */
export function rdsSigner(params: SignerParams): AuthTokenSigner {
    let signer: Promise<AuthTokenSigner> | undefined;
    return {
        getAuthToken: async () => {
            signer ??= import("@aws-sdk/rds-signer").then(
                ({ Signer }) =>
                    new Signer({
                        hostname: params.hostname,
                        port: params.port,
                        username: params.username,
                        ...(params.region !== undefined ? { region: params.region } : {}),
                    }),
            );
            return (await signer).getAuthToken();
        },
    };
}

export interface CredentialDeps {
    readonly fetchSecret?: SecretFetcher;
    readonly createSigner?: (params: SignerParams) => AuthTokenSigner;
    readonly now?: () => number;
}

/** The credential source a {@link CredentialSpec} describes. */
export function createCredentialSource(
    spec: CredentialSpec,
    target: { readonly host: string; readonly port: number; readonly user: string },
    deps: CredentialDeps = {},
): CredentialSource {
    switch (spec.kind) {
        case "secretsManager":
            return new SecretsManagerCredentialSource({
                secretArn: spec.secretArn,
                fetchSecret: deps.fetchSecret ?? secretsManagerFetcher(),
                ttlMillis: spec.ttlSeconds * 1000,
                fallbackUsername: target.user,
                ...(deps.now !== undefined ? { now: deps.now } : {}),
            });
        case "iam": {
            const params: SignerParams = {
                hostname: target.host,
                port: target.port,
                username: target.user,
                region: spec.region,
            };
            return new IamCredentialSource(target.user, (deps.createSigner ?? rdsSigner)(params));
        }
        case "static":
            return new StaticCredentialSource({ username: target.user, password: spec.password });
    }
}
