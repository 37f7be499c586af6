import { strict as assert } from "node:assert";
import { X509Certificate } from "node:crypto";
import { MIN_APP_PASSWORD_LENGTH, scramSha256Verifier, validateAppPassword } from "../../app/src/app-role";
import {
    ConfigError,
    DEFAULT_CONNECT_TIMEOUT_MS,
    DEFAULT_IDLE_TIMEOUT_MS,
    DEFAULT_POOL_MAX,
    DEFAULT_STATEMENT_TIMEOUT_MS,
    isLoopbackHost,
    loadApiConfig,
    loadMigrateConfig,
    RDS_CA_REGIONS,
    rdsCertificateAuthorities,
    rdsEndpointRegion,
    sslOptionsFor,
} from "../../app/src/config";
import {
    createCredentialSource,
    parseCredentialSecret,
    rdsSigner,
    SecretsManagerCredentialSource,
    type SignerParams,
} from "../../app/src/credentials";
import { describeError, redact, registerSecret } from "../../app/src/log";

const ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:app-user-AbCdEf";
const RDS_HOST = "mydb.cluster-abc123xyz.eu-west-1.rds.amazonaws.com";

const apiEnv = (extra: Record<string, string | undefined> = {}): Record<string, string | undefined> => ({
    DB_HOST: RDS_HOST,
    DB_NAME: "app",
    DB_USER: "app_user",
    DB_SECRET_ARN: ARN,
    ...extra,
});

function problemsOf(fn: () => unknown): readonly string[] {
    try {
        fn();
    } catch (err) {
        assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
        return err.problems;
    }
    assert.fail("expected a ConfigError");
}

describe("app configuration", () => {
    describe("loadApiConfig", () => {
        it("reads a secret-based configuration with the documented defaults", () => {
            const config = loadApiConfig(apiEnv());
            assert.deepEqual(config.credentials, { kind: "secretsManager", secretArn: ARN, ttlSeconds: 300 });
            assert.equal(config.connection.host, RDS_HOST);
            assert.equal(config.connection.port, 5432);
            assert.equal(config.connection.database, "app");
            assert.equal(config.user, "app_user");
            assert.equal(config.pool.max, DEFAULT_POOL_MAX);
            assert.equal(DEFAULT_POOL_MAX, 2);
            assert.equal(config.pool.idleTimeoutMillis, DEFAULT_IDLE_TIMEOUT_MS);
            assert.equal(config.connection.connectionTimeoutMillis, DEFAULT_CONNECT_TIMEOUT_MS);
            assert.equal(config.connection.statementTimeoutMillis, DEFAULT_STATEMENT_TIMEOUT_MS);
        });

        it("reads IAM auth with the runtime's region, and the pool/timeouts overrides", () => {
            const config = loadApiConfig(
                apiEnv({
                    DB_SECRET_ARN: undefined,
                    DB_IAM_AUTH: "true",
                    AWS_REGION: "eu-west-1",
                    DB_POOL_MAX: "5",
                    DB_PORT: "6543",
                    DB_CONNECT_TIMEOUT_MS: "1500",
                    DB_STATEMENT_TIMEOUT_MS: "800",
                    DB_IDLE_TIMEOUT_MS: "2000",
                }),
            );
            assert.deepEqual(config.credentials, { kind: "iam", region: "eu-west-1" });
            assert.equal(config.pool.max, 5);
            assert.equal(config.connection.port, 6543);
            assert.equal(config.connection.connectionTimeoutMillis, 1500);
            assert.equal(config.connection.statementTimeoutMillis, 800);
            assert.equal(config.pool.idleTimeoutMillis, 2000);
        });

        it("verifies the RDS certificate authority for a non-loopback host", () => {
            const { ssl } = loadApiConfig(apiEnv()).connection;
            assert.ok(ssl !== false);
            assert.equal(ssl.rejectUnauthorized, true);
            assert.ok(ssl.ca.length > 100);
            assert.ok(ssl.ca.every((pem) => pem.includes("-----BEGIN CERTIFICATE-----")));
            const subjects = ssl.ca.map((pem) => new X509Certificate(pem).subject);
            assert.ok(
                subjects.some((s) => s.includes("CN=Amazon RDS eu-west-1 Root CA RSA2048 G1")),
                "the regional RDS roots",
            );
            assert.ok(
                subjects.some((s) => s.includes("CN=Amazon RDS Root 2019 CA")),
                "the 2019 global root",
            );
            assert.ok(
                subjects.some((s) => s.includes("CN=Amazon Root CA 1")),
                "the roots of RDS Proxy certificates",
            );
            assert.deepEqual(rdsCertificateAuthorities(), ssl.ca);
        });

        it("RDS_CA_REGIONS is exactly the set of regions the shipped bundle has RDS roots for", () => {
            const fromBundle = new Set<string>();
            for (const pem of rdsCertificateAuthorities()) {
                const m = /CN=Amazon RDS (?:Beta )?([a-z]{2}(?:-[a-z]+)+-\d+) /.exec(new X509Certificate(pem).subject);
                if (m !== null) fromBundle.add(m[1]!);
            }
            assert.deepEqual([...RDS_CA_REGIONS].sort(), [...fromBundle].sort());
            // Each covered region has the three G1 roots RDS issues server certificates under today.
            const subjects = rdsCertificateAuthorities().map((pem) => new X509Certificate(pem).subject);
            for (const region of RDS_CA_REGIONS) {
                for (const kind of ["RSA2048", "RSA4096", "ECC384"]) {
                    assert.ok(
                        subjects.some((s) => s.includes(`CN=Amazon RDS ${region} Root CA ${kind} G1`)),
                        `${region} ${kind}`,
                    );
                }
            }
        });

        it("finds the region of RDS endpoints signed by the regional CA; none for proxies and other hosts", () => {
            assert.equal(rdsEndpointRegion(RDS_HOST), "eu-west-1");
            assert.equal(rdsEndpointRegion("mydb.abc123.il-central-1.rds.amazonaws.com"), "il-central-1");
            assert.equal(
                rdsEndpointRegion("mydb.cluster-ro-abc123.ap-southeast-7.rds.amazonaws.com"),
                "ap-southeast-7",
            );
            assert.equal(rdsEndpointRegion("MyDb.Abc123.US-GOV-WEST-1.rds.amazonaws.com."), "us-gov-west-1");
            assert.equal(rdsEndpointRegion("mydb.abc123.cn-north-1.rds.amazonaws.com.cn"), "cn-north-1");
            assert.equal(rdsEndpointRegion("app.proxy-abc123.mx-central-1.rds.amazonaws.com"), undefined);
            assert.equal(rdsEndpointRegion("db.internal.example.com"), undefined);
            assert.equal(rdsEndpointRegion("127.0.0.1"), undefined);
        });

        it("refuses an RDS endpoint in a region the CA bundle does not cover (it could never be verified)", () => {
            const host = "mydb.cluster-abc123.il-central-1.rds.amazonaws.com";
            const problems = problemsOf(() => loadApiConfig(apiEnv({ DB_HOST: host })));
            assert.equal(problems.length, 1);
            assert.match(
                problems[0]!,
                /^DB_HOST: "mydb\.cluster-abc123\.il-central-1\.rds\.amazonaws\.com" is an RDS endpoint in il-central-1, .*no certificate authority for that region/,
            );
            assert.match(
                problemsOf(() => loadMigrateConfig({ DB_HOST: host, DB_NAME: "app", DB_SECRET_ARN: ARN }))[0]!,
                /^DB_HOST: .* il-central-1/,
            );
            // Through RDS Proxy (ACM certificate, Amazon Trust Services roots) the same region works.
            const viaProxy = loadApiConfig(apiEnv({ DB_HOST: "app.proxy-abc123.il-central-1.rds.amazonaws.com" }))
                .connection.ssl;
            assert.ok(viaProxy !== false && viaProxy.rejectUnauthorized === true);
            // Every covered region is accepted.
            for (const region of RDS_CA_REGIONS) {
                const ssl = sslOptionsFor(`mydb.abc123.${region}.rds.amazonaws.com`, "verify-full");
                assert.ok(ssl !== false && ssl.rejectUnauthorized === true, region);
            }
        });

        it("lists every problem at once, naming each variable", () => {
            const problems = problemsOf(() => loadApiConfig({ DB_PORT: "http", DB_POOL_MAX: "0" }));
            assert.deepEqual(
                problems.map((p) => p.split(":")[0]),
                ["DB_HOST", "DB_PORT", "DB_NAME", "DB_USER", "DB_POOL_MAX", "DB_SECRET_ARN or DB_IAM_AUTH"],
            );
            assert.ok(problems.includes('DB_PORT: got "http"; must be an integer from 1 to 65535'));
            assert.ok(problems.includes('DB_POOL_MAX: got "0"; must be an integer from 1 to 20'));
        });

        it("requires exactly one credential source", () => {
            assert.match(
                problemsOf(() => loadApiConfig(apiEnv({ DB_IAM_AUTH: "true" })))[0]!,
                /set exactly one credential source \(got DB_SECRET_ARN and DB_IAM_AUTH=true\)/,
            );
            assert.match(
                problemsOf(() => loadApiConfig(apiEnv({ DB_IAM_AUTH: "yes" })))[0]!,
                /DB_IAM_AUTH: got "yes"; must be one of "true", "false"/,
            );
            assert.match(
                problemsOf(() => loadApiConfig(apiEnv({ DB_SECRET_ARN: "my-secret" })))[0]!,
                /DB_SECRET_ARN: got "my-secret"; must be a Secrets Manager secret ARN/,
            );
        });

        it("refuses DB_SSL=disable unless the host is loopback", () => {
            assert.match(
                problemsOf(() => loadApiConfig(apiEnv({ DB_SSL: "disable" })))[0]!,
                /^DB_SSL: "disable" is only allowed for a loopback DB_HOST \(got host "mydb/,
            );
            assert.match(
                problemsOf(() => loadApiConfig(apiEnv({ DB_SSL: "off" })))[0]!,
                /^DB_SSL: got "off"; must be one of "verify-full", "disable"/,
            );
            assert.equal(loadApiConfig(apiEnv({ DB_HOST: "127.0.0.1", DB_SSL: "disable" })).connection.ssl, false);
            assert.throws(() => sslOptionsFor("10.0.1.20", "disable"), ConfigError);
        });

        it("refuses IAM auth without TLS", () => {
            const problems = problemsOf(() =>
                loadApiConfig(
                    apiEnv({ DB_SECRET_ARN: undefined, DB_IAM_AUTH: "true", DB_HOST: "localhost", DB_SSL: "disable" }),
                ),
            );
            assert.deepEqual(problems, ['DB_IAM_AUTH: IAM authentication requires TLS; remove DB_SSL="disable"']);
        });

        it("accepts DB_PASSWORD only for a loopback host and never echoes it", () => {
            const problems = problemsOf(() =>
                loadApiConfig(apiEnv({ DB_SECRET_ARN: undefined, DB_PASSWORD: "hunter2-hunter2" })),
            );
            assert.equal(problems.length, 1);
            assert.match(
                problems[0]!,
                /^DB_PASSWORD: a password in the environment is only allowed for a loopback DB_HOST/,
            );
            assert.ok(!problems[0]!.includes("hunter2"));
            const local = loadApiConfig(
                apiEnv({ DB_HOST: "::1", DB_SSL: "disable", DB_SECRET_ARN: undefined, DB_PASSWORD: "pw" }),
            );
            assert.deepEqual(local.credentials, { kind: "static", password: "pw" });
        });
    });

    describe("isLoopbackHost", () => {
        for (const host of [
            "localhost",
            "LOCALHOST",
            "127.0.0.1",
            "127.1.2.3",
            "::1",
            "[::1]",
            "0:0:0:0:0:0:0:1",
            "::ffff:127.0.0.1",
            "/var/run/postgresql",
        ]) {
            it(`${host} is loopback`, () => assert.equal(isLoopbackHost(host), true));
        }
        for (const host of [
            "10.0.0.5",
            "0.0.0.0",
            "128.0.0.1",
            "::",
            "::ffff:10.0.0.1",
            "localhost.example.com",
            "127.0.0.1.nip.io",
            "db.internal",
            RDS_HOST,
            "",
        ]) {
            it(`${JSON.stringify(host)} is not loopback`, () => assert.equal(isLoopbackHost(host), false));
        }
    });

    describe("loadMigrateConfig", () => {
        const base = { DB_HOST: RDS_HOST, DB_NAME: "app", DB_SECRET_ARN: ARN };

        it("defaults the app role to IAM auth", () => {
            const config = loadMigrateConfig(base);
            assert.deepEqual(config.master, { kind: "secretsManager", secretArn: ARN, ttlSeconds: 300 });
            assert.deepEqual(config.appUser, { kind: "iam" });
            assert.equal(config.connection.statementTimeoutMillis, 600_000);
            assert.equal(config.lockTimeoutMillis, 120_000);
        });

        it("uses password auth for the app role when APP_USER_SECRET_ARN is set", () => {
            assert.deepEqual(loadMigrateConfig({ ...base, APP_USER_SECRET_ARN: ARN }).appUser, {
                kind: "secretsManager",
                secretArn: ARN,
            });
            assert.deepEqual(
                loadMigrateConfig({ ...base, APP_USER_AUTH: "secret", APP_USER_SECRET_ARN: ARN }).appUser,
                { kind: "secretsManager", secretArn: ARN },
            );
        });

        it("rejects contradictions and missing master credentials", () => {
            assert.match(
                problemsOf(() => loadMigrateConfig({ ...base, APP_USER_AUTH: "iam", APP_USER_SECRET_ARN: ARN }))[0]!,
                /APP_USER_AUTH: "iam" conflicts with APP_USER_SECRET_ARN/,
            );
            assert.match(
                problemsOf(() => loadMigrateConfig({ ...base, APP_USER_AUTH: "secret" }))[0]!,
                /APP_USER_SECRET_ARN: required when APP_USER_AUTH is "secret"/,
            );
            assert.match(
                problemsOf(() => loadMigrateConfig({ DB_HOST: RDS_HOST, DB_NAME: "app" }))[0]!,
                /DB_SECRET_ARN: required \(the ARN of the RDS-managed master user secret\)/,
            );
            assert.match(
                problemsOf(() => loadMigrateConfig({ ...base, APP_USER_PASSWORD: "pw" }))[0]!,
                /APP_USER_PASSWORD: a password in the environment is only allowed for a loopback DB_HOST/,
            );
        });
    });
});

describe("app credentials", () => {
    describe("parseCredentialSecret", () => {
        it("reads {username, password}, falls back to the given user, never echoes the content", () => {
            assert.deepEqual(parseCredentialSecret('{"username":"u","password":"p","engine":"postgres"}'), {
                username: "u",
                password: "p",
            });
            assert.deepEqual(parseCredentialSecret('{"password":"p"}', "app_user"), {
                username: "app_user",
                password: "p",
            });
            for (const bad of [
                "not json s3cr3t",
                '["s3cr3t"]',
                '{"username":"u"}',
                '{"username":"u","password":""}',
                '{"password":"s3cr3t"}',
            ]) {
                assert.throws(
                    () => parseCredentialSecret(bad),
                    (e: Error) => !e.message.includes("s3cr3t"),
                );
            }
        });
    });

    describe("SecretsManagerCredentialSource", () => {
        function setup(ttlMillis = 60_000) {
            let clock = 1_000_000;
            let value = { username: "app_user", password: "first-password" };
            const calls: string[] = [];
            const source = new SecretsManagerCredentialSource({
                secretArn: ARN,
                ttlMillis,
                now: () => clock,
                fetchSecret: async (arn) => {
                    calls.push(arn);
                    await new Promise((r) => setTimeout(r, 5));
                    return JSON.stringify(value);
                },
            });
            return {
                source,
                calls,
                advance: (ms: number) => (clock += ms),
                rotate: (password: string) => (value = { ...value, password }),
            };
        }

        it("caches for the TTL and shares one in-flight fetch between concurrent callers", async () => {
            const { source, calls, advance } = setup();
            const all = await Promise.all([1, 2, 3, 4, 5].map(() => source.getCredentials()));
            assert.ok(all.every((c) => c.password === "first-password"));
            assert.deepEqual(calls, [ARN]);
            advance(59_000);
            await source.getCredentials();
            assert.equal(calls.length, 1);
            advance(2_000);
            await source.getCredentials();
            assert.equal(calls.length, 2, "re-read after the TTL");
        });

        it("invalidate() makes the next call re-read the secret (rotation), but not within a second of the last read", async () => {
            const { source, calls, advance, rotate } = setup();
            await source.getCredentials();
            rotate("second-password");
            source.invalidate();
            assert.equal(
                (await source.getCredentials()).password,
                "first-password",
                "a burst right after a read does not refetch",
            );
            assert.equal(calls.length, 1);
            advance(1_500);
            source.invalidate();
            assert.equal((await source.getCredentials()).password, "second-password");
            assert.equal(calls.length, 2);
        });

        it("registers what it reads for log redaction", async () => {
            const { source } = setup();
            await source.getCredentials();
            assert.equal(redact("the password is first-password"), "the password is [REDACTED]");
        });
    });

    describe("IAM authentication", () => {
        it("asks the signer for a new token for every connection, with host, port, user and region", async () => {
            const made: SignerParams[] = [];
            let n = 0;
            const source = createCredentialSource(
                { kind: "iam", region: "eu-west-1" },
                { host: RDS_HOST, port: 5432, user: "app_user" },
                {
                    createSigner: (params) => {
                        made.push(params);
                        return {
                            getAuthToken: async () =>
                                `${RDS_HOST}:5432/?Action=connect&DBUser=app_user&X-Amz-Signature=${++n}`,
                        };
                    },
                },
            );
            assert.deepEqual(made, [{ hostname: RDS_HOST, port: 5432, username: "app_user", region: "eu-west-1" }]);
            const a = await source.getCredentials();
            const b = await source.getCredentials();
            assert.equal(a.username, "app_user");
            assert.notEqual(a.password, b.password);
            assert.equal(n, 2);
            source.invalidate(); // no-op, does not throw
        });

        it("the real @aws-sdk/rds-signer presigns a connect URL locally (no network)", async () => {
            const saved = { ...process.env };
            Object.assign(process.env, {
                AWS_ACCESS_KEY_ID: "AKIDEXAMPLE",
                AWS_SECRET_ACCESS_KEY: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                AWS_SESSION_TOKEN: "",
            });
            delete process.env.AWS_PROFILE;
            try {
                const token = await rdsSigner({
                    hostname: RDS_HOST,
                    port: 5432,
                    username: "app_user",
                    region: "eu-west-1",
                }).getAuthToken();
                assert.match(
                    token,
                    new RegExp(`^${RDS_HOST.replace(/\./g, "\\.")}:5432/\\?Action=connect&DBUser=app_user&`),
                );
                assert.match(token, /X-Amz-Credential=AKIDEXAMPLE%2F\d{8}%2Feu-west-1%2Frds-db%2Faws4_request/);
                assert.match(token, /X-Amz-Expires=900/);
                assert.match(token, /X-Amz-Signature=[0-9a-f]{64}/);
            } finally {
                for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
                Object.assign(process.env, saved);
            }
        });
    });

    describe("static credentials", () => {
        it("return the configured user and password", async () => {
            const source = createCredentialSource(
                { kind: "static", password: "pw-local" },
                { host: "127.0.0.1", port: 5432, user: "me" },
            );
            assert.deepEqual(await source.getCredentials(), { username: "me", password: "pw-local" });
        });
    });
});

describe("app role password handling", () => {
    it("computes a SCRAM-SHA-256 verifier in PostgreSQL's format", () => {
        const verifier = scramSha256Verifier("pencil", Buffer.from("W22ZaJ0SNY7soEsUEjb6gQ==", "base64"));
        assert.match(verifier, /^SCRAM-SHA-256\$4096:W22ZaJ0SNY7soEsUEjb6gQ==\$[A-Za-z0-9+/]{43}=:[A-Za-z0-9+/]{43}=$/);
        assert.ok(!verifier.includes("pencil"));
        // Same inputs, same verifier; a fresh random salt otherwise.
        assert.equal(scramSha256Verifier("pencil", Buffer.from("W22ZaJ0SNY7soEsUEjb6gQ==", "base64")), verifier);
        assert.notEqual(scramSha256Verifier("pencil"), scramSha256Verifier("pencil"));
    });

    it("accepts printable ASCII passwords of a sane length only, without echoing them", () => {
        validateAppPassword("x".repeat(MIN_APP_PASSWORD_LENGTH));
        for (const bad of ["short", "ünïcödé-secret", "tab\tsecret-x", "x".repeat(1025)]) {
            assert.throws(
                () => validateAppPassword(bad),
                (e: Error) => !e.message.includes(bad),
            );
        }
    });
});

describe("app log redaction", () => {
    it("replaces registered secrets in messages and error descriptions", () => {
        registerSecret("zz-top-secret-zz");
        registerSecret("ab"); // too short to be treated as a secret
        assert.equal(redact("a zz-top-secret-zz b zz-top-secret-zz ab"), "a [REDACTED] b [REDACTED] ab");
        const err = Object.assign(new Error("login with zz-top-secret-zz failed"), { code: "28P01" });
        assert.deepEqual(describeError(err), { name: "Error", message: "login with [REDACTED] failed", code: "28P01" });
    });
});
