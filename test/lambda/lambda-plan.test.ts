import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import fc from "fast-check";
import * as ts from "typescript";
import { HTTP_API_DEFAULTS, LAMBDA_DEFAULTS } from "../../lib/lambda-plan";

const LAMBDA_SERVICE_DEFAULTS = { ...LAMBDA_DEFAULTS, ...HTTP_API_DEFAULTS };
/** The options (with their defaults) live in the planner; the component adds the wiring. */
const DOCUMENTED = ["LambdaOptions", "HttpApiOptions", "LambdaServiceArgs"];
const SOURCES = ["../../lib/lambda-plan.ts", "../../components/compute/lambda-service.ts"];
import {
    ACCESS_LOG_FIELDS,
    accessLogFormat,
    alarmSpecs,
    apiEnvironment,
    corsConfiguration,
    databaseAccess,
    type DatabaseEnvInputs,
    apiTimeoutSeconds,
    functionPolicy,
    hasInlineSourceMap,
    PAUSABLE_API_TIMEOUT_SECONDS,
    PAUSABLE_MIGRATION_TIMEOUT_SECONDS,
    planLambda,
    lambdaAssumeRolePolicy,
    migrationEnvironment,
    migrationInvocationInput,
    migrationStatementTimeoutMs,
    VPC_ENI_ACTIONS,
} from "../../lib/lambda-plan";
import { APP_SECRET_ARN, connectArn, KMS_KEY_ARN, MASTER_SECRET_ARN } from "./fixtures";

const db = (iamAuth: boolean, pausable = false): DatabaseEnvInputs<string> => ({
    pausable,
    host: "proxy.example",
    adminHost: "db.example",
    port: "5432",
    databaseName: "app",
    appUsername: "app_user",
    iamAuth,
    masterSecretArn: MASTER_SECRET_ARN,
    appUserSecretArn: iamAuth ? undefined : APP_SECRET_ARN,
});

describe("lambda-plan: environment", () => {
    it("API with IAM auth: DB_IAM_AUTH, no secret", () => {
        assert.deepStrictEqual(apiEnvironment(db(true), { sourceMaps: false }), {
            DB_HOST: "proxy.example",
            DB_PORT: "5432",
            DB_NAME: "app",
            DB_USER: "app_user",
            DB_IAM_AUTH: "true",
        });
    });

    it("API with password auth: the app user's secret ARN, optional pool size and source maps", () => {
        assert.deepStrictEqual(apiEnvironment(db(false), { poolMax: 3, sourceMaps: true }), {
            DB_HOST: "proxy.example",
            DB_PORT: "5432",
            DB_NAME: "app",
            DB_USER: "app_user",
            DB_SECRET_ARN: APP_SECRET_ARN,
            DB_POOL_MAX: "3",
            NODE_OPTIONS: "--enable-source-maps",
        });
    });

    it("migrations: the admin host (never the proxy), the master secret, the app role's login method, a statement timeout inside the function's", () => {
        assert.deepStrictEqual(migrationEnvironment(db(true), { timeoutSeconds: 300, sourceMaps: false }), {
            DB_HOST: "db.example",
            DB_PORT: "5432",
            DB_NAME: "app",
            DB_SECRET_ARN: MASTER_SECRET_ARN,
            APP_USER_AUTH: "iam",
            DB_STATEMENT_TIMEOUT_MS: "270000",
        });
        const pw = migrationEnvironment(db(false), { timeoutSeconds: 60, sourceMaps: false });
        assert.strictEqual(pw.APP_USER_AUTH, "secret");
        assert.strictEqual(pw.APP_USER_SECRET_ARN, APP_SECRET_ARN);
        assert.strictEqual(pw.DB_STATEMENT_TIMEOUT_MS, "30000");
        assert.ok(!("DB_USER" in pw), "the master user name comes from the master secret");
    });

    it("with a database that can pause: connect timeouts and retries that outlast a resume (~15 s)", () => {
        const api = apiEnvironment(db(true, true), { sourceMaps: false });
        assert.strictEqual(api.DB_CONNECT_TIMEOUT_MS, "20000");
        assert.strictEqual(api.DB_CONNECT_RETRY_SECONDS, "2");
        const migrate = migrationEnvironment(db(true, true), { timeoutSeconds: 300, sourceMaps: false });
        assert.strictEqual(migrate.DB_CONNECT_TIMEOUT_MS, "20000");
        assert.strictEqual(migrate.DB_CONNECT_RETRY_SECONDS, "60");
        for (const env of [
            apiEnvironment(db(true), { sourceMaps: false }),
            migrationEnvironment(db(true), { timeoutSeconds: 300, sourceMaps: false }),
        ]) {
            assert.ok(
                !("DB_CONNECT_TIMEOUT_MS" in env) && !("DB_CONNECT_RETRY_SECONDS" in env),
                "the app's defaults otherwise",
            );
        }
    });

    it("with a database that can pause: the API times out at 29 s by default, and shorter timeouts are refused", () => {
        assert.strictEqual(apiTimeoutSeconds({}, true), PAUSABLE_API_TIMEOUT_SECONDS);
        assert.strictEqual(apiTimeoutSeconds({}, false), 15);
        assert.strictEqual(apiTimeoutSeconds({ timeoutSeconds: 20 }, false), 20);
        assert.deepStrictEqual(
            planLambda({ timeoutSeconds: 20, migrationTimeoutSeconds: 60 }, { pausableDatabase: false }),
            [],
        );
        const problems = planLambda({ timeoutSeconds: 20, migrationTimeoutSeconds: 60 }, { pausableDatabase: true });
        assert.deepStrictEqual(
            problems.map((p) => p.key),
            ["timeoutSeconds", "migrationTimeoutSeconds"],
        );
        assert.strictEqual(PAUSABLE_MIGRATION_TIMEOUT_SECONDS, 110, "80 s to connect + 30 s statement headroom");
        assert.deepStrictEqual(
            planLambda({ timeoutSeconds: 29, migrationTimeoutSeconds: 110 }, { pausableDatabase: true }),
            [],
        );
    });

    it("sends the API to host and the migrations to adminHost, whatever the auth mode", () => {
        for (const iam of [true, false]) {
            assert.strictEqual(apiEnvironment(db(iam), { sourceMaps: false }).DB_HOST, "proxy.example");
            assert.strictEqual(
                migrationEnvironment(db(iam), { timeoutSeconds: 300, sourceMaps: false }).DB_HOST,
                "db.example",
            );
        }
    });

    it("throws (a programming error) when password auth has no secret ARN", () => {
        assert.throws(
            () => apiEnvironment({ ...db(false), appUserSecretArn: undefined }, { sourceMaps: false }),
            /appUserSecretArn is required/,
        );
        assert.throws(
            () =>
                migrationEnvironment(
                    { ...db(false), appUserSecretArn: undefined },
                    { timeoutSeconds: 300, sourceMaps: false },
                ),
            /appUserSecretArn is required/,
        );
    });

    it("never names a password variable, whatever the settings", () => {
        fc.assert(
            fc.property(
                fc.boolean(),
                fc.option(fc.integer({ min: 1, max: 20 }), { nil: undefined }),
                fc.boolean(),
                fc.integer({ min: 60, max: 900 }),
                (iam, poolMax, maps, timeout) => {
                    const all = {
                        ...apiEnvironment(db(iam), { poolMax, sourceMaps: maps }),
                        ...migrationEnvironment(db(iam), { timeoutSeconds: timeout, sourceMaps: maps }),
                    };
                    for (const k of Object.keys(all)) assert.ok(!/PASSWORD/.test(k), k);
                    const ms = Number(
                        migrationEnvironment(db(iam), { timeoutSeconds: timeout, sourceMaps: maps })
                            .DB_STATEMENT_TIMEOUT_MS,
                    );
                    assert.ok(ms >= 1000 && ms < timeout * 1000);
                },
            ),
        );
    });

    it("statement timeout: 30 s headroom, at least 1 s", () => {
        assert.strictEqual(migrationStatementTimeoutMs(300), 270_000);
        assert.strictEqual(migrationStatementTimeoutMs(900), 870_000);
        assert.strictEqual(migrationStatementTimeoutMs(20), 1000);
    });

    it("detects only a trailing inline source map", () => {
        assert.strictEqual(hasInlineSourceMap("a();\n//# sourceMappingURL=data:application/json;base64,e30=\n"), true);
        assert.strictEqual(
            hasInlineSourceMap("a();\n//# sourceMappingURL=data:application/json;charset=utf-8;base64,e30="),
            true,
        );
        assert.strictEqual(
            hasInlineSourceMap("a();\n//# sourceMappingURL=index.js.map\n"),
            false,
            "an external map is not deployed",
        );
        assert.strictEqual(
            hasInlineSourceMap('const s = "//# sourceMappingURL=data:application/json";\nb();\n'),
            false,
        );
        assert.strictEqual(hasInlineSourceMap(""), false);
    });
});

describe("lambda-plan: IAM", () => {
    it("trusts lambda.amazonaws.com only", () => {
        assert.deepStrictEqual(lambdaAssumeRolePolicy().Statement, [
            {
                Sid: "LambdaAssumeRole",
                Effect: "Allow",
                Principal: { Service: "lambda.amazonaws.com" },
                Action: "sts:AssumeRole",
            },
        ]);
    });

    it("decides database access per function and auth mode", () => {
        assert.deepStrictEqual(databaseAccess("api", true), { secrets: [], rdsConnect: true });
        assert.deepStrictEqual(databaseAccess("api", false), { secrets: ["appUser"], rdsConnect: false });
        assert.deepStrictEqual(databaseAccess("migrate", true), { secrets: ["master"], rdsConnect: false });
        assert.deepStrictEqual(databaseAccess("migrate", false), { secrets: ["master", "appUser"], rdsConnect: false });
    });

    const logs = "arn:aws:logs:eu-west-1:123456789012:log-group:svc-api-1234567";

    it("minimal policy: own log streams and ENI management", () => {
        const doc = functionPolicy({
            logGroupArn: logs,
            secretArns: [],
            kmsKeyArns: [KMS_KEY_ARN],
            rdsConnectArns: [],
            tracing: false,
        });
        assert.deepStrictEqual(doc, {
            Version: "2012-10-17",
            Statement: [
                {
                    Sid: "WriteOwnLogs",
                    Effect: "Allow",
                    Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
                    Resource: `${logs}:*`,
                },
                { Sid: "AttachToVpc", Effect: "Allow", Action: [...VPC_ENI_ACTIONS], Resource: "*" },
            ],
        });
    });

    it("accepts a log group ARN that already ends in :*", () => {
        const doc = functionPolicy({
            logGroupArn: `${logs}:*`,
            secretArns: [],
            kmsKeyArns: [],
            rdsConnectArns: [],
            tracing: false,
        });
        assert.strictEqual(doc.Statement[0].Resource, `${logs}:*`);
    });

    it("secrets, keys (via Secrets Manager only), rds-db:connect and X-Ray when asked", () => {
        const doc = functionPolicy({
            logGroupArn: logs,
            secretArns: [MASTER_SECRET_ARN, APP_SECRET_ARN, MASTER_SECRET_ARN],
            kmsKeyArns: [KMS_KEY_ARN],
            rdsConnectArns: [connectArn("app_user")],
            tracing: true,
        });
        const by = Object.fromEntries(doc.Statement.map((s) => [s.Sid, s]));
        assert.deepStrictEqual(by.ReadDatabaseSecrets.Resource, [MASTER_SECRET_ARN, APP_SECRET_ARN]);
        assert.deepStrictEqual(by.DecryptDatabaseSecrets, {
            Sid: "DecryptDatabaseSecrets",
            Effect: "Allow",
            Action: ["kms:Decrypt"],
            Resource: [KMS_KEY_ARN],
            Condition: { StringEquals: { "kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com" } },
        });
        assert.deepStrictEqual(by.ConnectWithIamToken.Resource, [connectArn("app_user")]);
        assert.deepStrictEqual(by.WriteTraces.Action, ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]);
    });

    it("falls back to any region's Secrets Manager for a key without a parseable ARN", () => {
        const doc = functionPolicy({
            logGroupArn: logs,
            secretArns: [APP_SECRET_ARN],
            kmsKeyArns: ["alias/custom"],
            rdsConnectArns: [],
            tracing: false,
        });
        const kms = doc.Statement.find((s) => s.Sid === "DecryptDatabaseSecrets")!;
        assert.deepStrictEqual(kms.Condition, { StringLike: { "kms:ViaService": "secretsmanager.*.amazonaws.com" } });
    });

    it("property: only the ENI and X-Ray statements use resource *; every listed ARN appears exactly once", () => {
        const arn = fc.stringMatching(/^arn:aws:secretsmanager:eu-west-1:123456789012:secret:[a-z]{1,8}$/);
        fc.assert(
            fc.property(fc.array(arn, { maxLength: 4 }), fc.boolean(), fc.boolean(), (secrets, connect, tracing) => {
                const doc = functionPolicy({
                    logGroupArn: logs,
                    secretArns: secrets,
                    kmsKeyArns: [KMS_KEY_ARN],
                    rdsConnectArns: connect ? [connectArn("u")] : [],
                    tracing,
                });
                for (const s of doc.Statement) {
                    if (s.Resource === "*") assert.ok(s.Sid === "AttachToVpc" || s.Sid === "WriteTraces", s.Sid);
                    assert.ok(
                        Array.isArray(s.Action) && s.Action.every((a) => !a.includes("*")),
                        `wildcard action in ${s.Sid}`,
                    );
                }
                const read = doc.Statement.find((s) => s.Sid === "ReadDatabaseSecrets");
                assert.deepStrictEqual(read?.Resource ?? [], [...new Set(secrets)]);
                assert.strictEqual(
                    doc.Statement.some((s) => s.Sid === "DecryptDatabaseSecrets"),
                    secrets.length > 0,
                );
            }),
        );
    });
});

describe("lambda-plan: migrations, HTTP API, alarms", () => {
    it("invocation payload: hashes, target and app role login", () => {
        const base = {
            migrationsSha256: "a".repeat(64),
            codeSha256: "b".repeat(64),
            host: "h",
            port: "5432",
            databaseName: "app",
        };
        assert.deepStrictEqual(migrationInvocationInput({ ...base, iamAuth: true }), {
            action: "migrate",
            migrationsSha256: "a".repeat(64),
            codeSha256: "b".repeat(64),
            target: { host: "h", port: "5432", database: "app" },
            appUser: { auth: "iam" },
        });
        assert.deepStrictEqual(
            migrationInvocationInput({ ...base, iamAuth: false, appUserSecretArn: APP_SECRET_ARN }).appUser,
            {
                auth: "secret",
                secretArn: APP_SECRET_ARN,
            },
        );
        const a = JSON.stringify(migrationInvocationInput({ ...base, iamAuth: true }));
        const b = JSON.stringify(
            migrationInvocationInput({ ...base, iamAuth: true, migrationsSha256: "c".repeat(64) }),
        );
        assert.notStrictEqual(a, b);
    });

    it("CORS only when origins are listed", () => {
        assert.strictEqual(corsConfiguration([]), undefined);
        assert.deepStrictEqual(corsConfiguration(["https://a.example"]), {
            allowOrigins: ["https://a.example"],
            allowMethods: ["GET", "POST", "OPTIONS"],
            allowHeaders: ["content-type", "authorization"],
            maxAge: 300,
        });
    });

    it("access log format: one JSON object of $context variables, no headers", () => {
        const format = JSON.parse(accessLogFormat());
        assert.deepStrictEqual(format, ACCESS_LOG_FIELDS);
        for (const v of Object.values(format)) assert.match(v as string, /^\$context\.[A-Za-z.]+$/);
        assert.ok(!Object.values(format).some((v) => /header|authorizer|querystring/i.test(v as string)));
    });

    it("alarm specs", () => {
        const specs = alarmSpecs({
            apiFunctionName: "api-fn",
            migrationFunctionName: "mig-fn",
            apiId: "abc123",
            stage: "$default",
        });
        assert.deepStrictEqual(
            specs.map((s) => [s.key, s.namespace, s.metricName, s.dimensions]),
            [
                ["api-errors", "AWS/Lambda", "Errors", { FunctionName: "api-fn" }],
                ["api-throttles", "AWS/Lambda", "Throttles", { FunctionName: "api-fn" }],
                ["migrate-errors", "AWS/Lambda", "Errors", { FunctionName: "mig-fn" }],
                ["api-5xx", "AWS/ApiGateway", "5xx", { ApiId: "abc123", Stage: "$default" }],
            ],
        );
        for (const s of specs) {
            assert.strictEqual(s.statistic, "Sum");
            assert.strictEqual(s.periodSeconds, 300);
            assert.strictEqual(s.evaluationPeriods, 1);
            assert.strictEqual(s.threshold, 0);
            assert.strictEqual(s.comparisonOperator, "GreaterThanThreshold");
            assert.strictEqual(s.treatMissingData, "notBreaching");
            assert.ok(s.description.length > 20);
        }
        assert.strictEqual(new Set(specs.map((s) => s.key)).size, specs.length, "unique resource names");
    });
});

describe("LambdaServiceArgs documentation", () => {
    /** `@default` tag text per property of `LambdaServiceArgs`, and whether it is optional. */
    function documentedDefaults(): Map<string, { optional: boolean; tag: string | undefined }> {
        const result = new Map<string, { optional: boolean; tag: string | undefined }>();
        for (const rel of SOURCES) {
            const file = path.join(__dirname, rel);
            const source = ts.createSourceFile(file, fs.readFileSync(file, "utf8"), ts.ScriptTarget.ES2022, true);
            source.forEachChild((node) => {
                if (!ts.isInterfaceDeclaration(node) || !DOCUMENTED.includes(node.name.text)) return;
                for (const member of node.members) {
                    if (!ts.isPropertySignature(member)) continue;
                    const tag = ts.getJSDocTags(member).find((t) => t.tagName.text === "default");
                    const text = tag === undefined ? undefined : ts.getTextOfJSDocComment(tag.comment)?.trim();
                    result.set(member.name.getText(source), {
                        optional: member.questionToken !== undefined,
                        tag: text,
                    });
                }
            });
        }
        assert.ok(result.size > 0, "LambdaServiceArgs not found");
        return result;
    }

    it("every optional argument documents a default; the values equal the named constants", () => {
        const docs = documentedDefaults();
        const defaults = LAMBDA_SERVICE_DEFAULTS as Record<string, unknown>;
        for (const [key, { optional, tag }] of docs) {
            if (!optional) {
                assert.strictEqual(tag, undefined, `${key} is required and must not document a default`);
                continue;
            }
            assert.ok(tag !== undefined, `${key} has no @default`);
            if (tag.startsWith("-")) {
                assert.ok(!(key in defaults), `${key} documents a prose default but has a constant`);
                continue;
            }
            assert.ok(
                key in defaults,
                `${key} documents @default ${tag} but has no constant in LAMBDA_SERVICE_DEFAULTS`,
            );
            assert.deepStrictEqual(
                JSON.parse(tag),
                defaults[key],
                `${key}: documented ${tag}, code ${JSON.stringify(defaults[key])}`,
            );
        }
        for (const key of Object.keys(defaults))
            assert.ok(docs.get(key)?.optional, `${key} has a constant but is not an optional argument`);
    });

    it("every argument has a summary and an @example", () => {
        for (const rel of SOURCES) {
            const file = path.join(__dirname, rel);
            const source = ts.createSourceFile(file, fs.readFileSync(file, "utf8"), ts.ScriptTarget.ES2022, true);
            source.forEachChild((node) => {
                if (!ts.isInterfaceDeclaration(node) || !DOCUMENTED.includes(node.name.text)) return;
                for (const member of node.members) {
                    const docs = ts.getJSDocCommentsAndTags(member).filter(ts.isJSDoc);
                    const name = member.name?.getText(source);
                    assert.ok(
                        docs.length > 0 && (ts.getTextOfJSDocComment(docs[0].comment) ?? "").length > 10,
                        `${name} has no summary`,
                    );
                    assert.ok(
                        ts.getJSDocTags(member).some((t) => t.tagName.text === "example"),
                        `${name} has no @example`,
                    );
                }
            });
        }
    });
});

describe("lambda-plan: reserved concurrency and the account quota", () => {
    it("says N reserved needs a quota of N + 100 (Lambda keeps 100 unreserved)", async () => {
        const { reservedConcurrencyNote } = await import("../../lib/lambda-plan");
        assert.match(reservedConcurrencyNote(100)!, /reserved concurrency 100 .* at least 200 /);
        assert.match(reservedConcurrencyNote(1)!, /at least 101 /);
        assert.strictEqual(reservedConcurrencyNote(undefined), undefined);
        assert.strictEqual(reservedConcurrencyNote(0), undefined, "0 reserves nothing (it stops the function)");
    });
});
