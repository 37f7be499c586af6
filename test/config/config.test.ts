import { EC2_DEFAULTS } from "../../lib/ec2-plan";
import { ALB_DEFAULTS, ECS_DEFAULTS } from "../../lib/ecs-plan";
import { ALB_OIDC_DEFAULTS, JWT_AUTH_DEFAULTS } from "../../lib/auth-plan";
import * as assert from "assert";
import * as path from "path";
import { z } from "zod";
import { AUTO_PAUSE_MIN_VERSION } from "../../lib/aws-facts";
import {
    CONFIG_KEYS,
    ConfigError,
    parseConfig,
    parseStackConfig,
    RawConfig,
    SCHEMAS,
    Settings,
} from "../../lib/config";
import * as fs from "fs";
import * as configReference from "../../lib/config-reference";
import { CONFIG_REFERENCE } from "../../lib/config-reference";
import { loadStack } from "../../tools/stack-files";
import { NetworkPlan } from "../../lib/network-plan";
import { HTTP_API_DEFAULTS, LAMBDA_DEFAULTS } from "../../lib/lambda-plan";

const root = path.resolve(__dirname, "..", "..");
/** The new VPC's resolved plan (fails the test for an existing VPC). */
function vpc(s: Settings): NetworkPlan {
    assert.strictEqual(s.network.kind, "new");
    return s.network.plan as NetworkPlan;
}
const minimal = (): RawConfig => ({ database: { engine: "postgres" }, compute: { mode: "lambda" } });

/** The problems a config yields (fails the test when it parses). */
function problems(raw: RawConfig): readonly string[] {
    try {
        parseConfig(raw);
    } catch (e) {
        if (ConfigError.isInstance(e)) return e.problems;
        throw e;
    }
    assert.fail(`expected a ConfigError for ${JSON.stringify(raw)}`);
}

function withField(top: "network" | "database" | "compute" | "alarms", fields: Record<string, unknown>): RawConfig {
    const raw = minimal() as Record<string, Record<string, unknown>>;
    raw[top] = { ...(raw[top] ?? {}), ...fields };
    return raw;
}

/** Asserts exactly one problem, about `key`, echoing `given`, mentioning `allowed`. */
function expectOne(raw: RawConfig, key: string, given: string, allowed: RegExp): void {
    const ps = problems(raw);
    assert.strictEqual(ps.length, 1, `expected one problem, got:\n${ps.join("\n")}`);
    const [p] = ps;
    assert.ok(p.startsWith(`private-app:${key}: `), `problem does not start with the key ${key}: ${p}`);
    assert.ok(p.includes(`got ${given}`), `problem does not echo the value ${given}: ${p}`);
    assert.match(p, allowed);
    assert.match(p, /Fix: /);
    assert.ok(!p.includes("\n"), "one line per problem");
    assert.ok(!/at .*\.ts:\d+/.test(p), "no stack trace");
}

describe("config: the committed stacks", () => {
    const settingsOf = (stack: string): Settings => parseStackConfig(loadStack(root, stack).config);

    it("dev: 2 AZs, no NAT (a Secrets Manager endpoint), lambda, a destroyable database that pauses", () => {
        const s = settingsOf("dev");
        assert.strictEqual(vpc(s).azCount, 2);
        assert.strictEqual(vpc(s).natGateways, "none");
        assert.deepStrictEqual(vpc(s).interfaceEndpoints, ["secretsmanager"]);
        assert.strictEqual(vpc(s).interfaceEndpointAzCount, 1);
        assert.strictEqual(s.compute.mode, "lambda");
        assert.strictEqual(s.compute.ingress, "apiGateway");
        assert.strictEqual(s.databasePlan.deletionProtection, false);
        assert.strictEqual(s.databasePlan.engine, "aurora-serverless");
        assert.strictEqual(s.databasePlan.scaling?.minCapacity, 0);
    });

    it("prod: 3 AZs, NAT per AZ, Multi-AZ, deletion protection, 30 days of backups", () => {
        const s = settingsOf("prod");
        assert.strictEqual(vpc(s).azCount, 3);
        assert.strictEqual(vpc(s).natGateways, "perAz");
        assert.strictEqual(s.databasePlan.multiAz, true);
        assert.strictEqual(s.databasePlan.deletionProtection, true);
        assert.strictEqual(s.databasePlan.backupRetentionDays, 30);
        // Fargate behind an HTTP API: deploys without a domain or certificate.
        assert.strictEqual(s.compute.mode, "ecs");
        assert.strictEqual(s.compute.ingress, "apiGateway");
    });

    it("both set the region and default tags (project, stack, cost centre)", () => {
        for (const stack of ["dev", "prod"]) {
            const c = loadStack(root, stack).config;
            assert.strictEqual(c["aws:region"], "eu-west-1");
            const tags = JSON.parse(c["aws:defaultTags"]).tags;
            assert.deepStrictEqual(Object.keys(tags).sort(), ["cost-centre", "project", "stack"]);
            assert.strictEqual(tags.stack, stack);
        }
    });
});

describe("config: defaults", () => {
    it("a minimal config gets safe defaults", () => {
        const s = parseConfig(minimal());
        assert.strictEqual(vpc(s).cidr, "10.0.0.0/16");
        assert.strictEqual(vpc(s).isolatedSubnetAcl, true);
        assert.strictEqual(s.databasePlan.deletionProtection, true, "deletion protection is on unless turned off");
        assert.strictEqual(s.databasePlan.iamAuth, true);
        assert.strictEqual(s.databasePlan.multiAz, false);
        assert.strictEqual(s.databasePlan.scaling, undefined, "no ACUs for an RDS instance");
    });

    it("instance class depends on the engine", () => {
        assert.strictEqual(
            parseConfig(withField("database", { engine: "aurora-postgresql" })).databasePlan.instanceClass,
            "db.t4g.medium",
        );
        const sls = parseConfig(withField("database", { engine: "aurora-serverless" })).databasePlan;
        assert.strictEqual(sls.instanceClass, "db.serverless");
        assert.deepStrictEqual(sls.scaling, { minCapacity: 0.5, maxCapacity: 4 });
    });
});

describe("config: every invalid value is rejected with its key, the value and what is allowed", () => {
    it("an unknown compute.mode", () =>
        expectOne(withField("compute", { mode: "k8s" }), "compute.mode", '"k8s"', /lambda, ecs, ec2/));
    it("compute.mode ecs with the default ingress (alb) and no certificate", () =>
        expectOne(
            withField("compute", { mode: "ecs" }),
            "compute.alb",
            "nothing (unset)",
            /needs a certificate.*apiGateway/,
        ));
    it("compute.mode ec2 with a public ALB needs a certificate, like ecs", () =>
        expectOne(withField("compute", { mode: "ec2" }), "compute.alb", "nothing (unset)", /needs a certificate/));
    it("azCount 5", () => expectOne(withField("network", { azCount: 5 }), "network.azCount", "5", /2 or 3/));
    it("azCount as a string", () =>
        expectOne(withField("network", { azCount: "3" }), "network.azCount", '"3"', /2 or 3/));
    it("a CIDR that is not a CIDR", () =>
        expectOne(withField("network", { cidr: "10.0.0.0" }), "network.cidr", '"10.0.0.0"', /IPv4 CIDR/));
    it("a CIDR with an octet over 255", () =>
        expectOne(withField("network", { cidr: "10.300.0.0/16" }), "network.cidr", '"10.300.0.0/16"', /IPv4 CIDR/));
    it("a /28 VPC", () =>
        expectOne(withField("network", { cidr: "10.0.0.0/28" }), "network.cidr", '"10.0.0.0/28"', /\/16 to \/24/));
    it("a /12 VPC", () =>
        expectOne(withField("network", { cidr: "10.0.0.0/12" }), "network.cidr", '"10.0.0.0/12"', /\/16 to \/24/));
    it("host bits set", () =>
        expectOne(withField("network", { cidr: "10.0.1.0/16" }), "network.cidr", '"10.0.1.0/16"', /network address/));
    it("natGateways two", () =>
        expectOne(withField("network", { natGateways: "two" }), "network.natGateways", '"two"', /none, single, perAz/));
    it("an unknown interface endpoint", () =>
        expectOne(
            withField("network", { interfaceEndpoints: ["s3"] }),
            "network.interfaceEndpoints[0]",
            '"s3"',
            /secretsmanager/,
        ));
    it("interface endpoints in more AZs than the VPC has", () =>
        expectOne(
            withField("network", { azCount: 2, interfaceEndpointAzCount: 3 }),
            "network.interfaceEndpointAzCount",
            "3",
            /1 to azCount \(2\)/,
        ));
    it("a boolean given as a string", () =>
        expectOne(
            withField("database", { deletionProtection: "yes" }),
            "database.deletionProtection",
            '"yes"',
            /true or false/,
        ));
    it("a missing required key (database)", () => {
        const ps = problems({ compute: { mode: "lambda" } });
        assert.strictEqual(ps.length, 1);
        assert.match(ps[0], /^private-app:database: got nothing \(unset\); this key is required/);
    });
    it("a missing required field (database.engine)", () =>
        expectOne({ database: {}, compute: { mode: "lambda" } }, "database.engine", "nothing (unset)", /required/));
    it("a whole key of the wrong type", () =>
        expectOne(
            { database: "postgres", compute: { mode: "lambda" } } as RawConfig,
            "database",
            '"postgres"',
            /object/,
        ));
    it("an unknown field (a typo)", () =>
        expectOne(
            withField("network", { azcount: 3 }),
            "network.azcount",
            "3",
            /unknown key; allowed keys here: cidr, azCount/,
        ));
    it("backupRetentionDays 0", () =>
        expectOne(withField("database", { backupRetentionDays: 0 }), "database.backupRetentionDays", "0", /1 to 35/));
    it("backupRetentionDays 40", () =>
        expectOne(withField("database", { backupRetentionDays: 40 }), "database.backupRetentionDays", "40", /1 to 35/));
    it("backupRetentionDays 7.5", () =>
        expectOne(
            withField("database", { backupRetentionDays: 7.5 }),
            "database.backupRetentionDays",
            "7.5",
            /whole number/,
        ));
    it("instanceClass without db.", () =>
        expectOne(
            withField("database", { instanceClass: "t4g.micro" }),
            "database.instanceClass",
            '"t4g.micro"',
            /starting with "db\."/,
        ));
    it("an Aurora class too small", () =>
        expectOne(
            withField("database", { engine: "aurora-postgresql", instanceClass: "db.t4g.micro" }),
            "database.instanceClass",
            '"db.t4g.micro"',
            /db\.t4g\.medium or larger/,
        ));
    it("an unsupported major version", () =>
        expectOne(
            withField("database", { engineVersion: "12.22" }),
            "database.engineVersion",
            '"12.22"',
            /13, 14, 15, 16, 17/,
        ));
    it("ACU min above max", () =>
        expectOne(
            withField("database", { engine: "aurora-serverless", minCapacityAcu: 8, maxCapacityAcu: 4 }),
            "database.minCapacityAcu",
            "8",
            /must not exceed maxCapacityAcu \(4\)/,
        ));
    it("ACU not in steps of 0.5", () =>
        expectOne(
            withField("database", { engine: "aurora-serverless", minCapacityAcu: 0.7 }),
            "database.minCapacityAcu",
            "0.7",
            /steps of 0\.5/,
        ));
    it("ACU min 0 where the engine version cannot auto-pause", () =>
        expectOne(
            withField("database", { engine: "aurora-serverless", engineVersion: "16.2", minCapacityAcu: 0 }),
            "database.minCapacityAcu",
            "0",
            /auto-pause.*16\.3/,
        ));
    it("ACU min 0 is fine from the first auto-pause version on", () => {
        for (const [major, minor] of Object.entries(AUTO_PAUSE_MIN_VERSION)) {
            const s = parseConfig(
                withField("database", {
                    engine: "aurora-serverless",
                    engineVersion: `${major}.${minor}`,
                    minCapacityAcu: 0,
                }),
            );
            assert.strictEqual(s.databasePlan.scaling?.minCapacity, 0);
            problems(
                withField("database", {
                    engine: "aurora-serverless",
                    engineVersion: `${major}.${minor - 1}`,
                    minCapacityAcu: 0,
                }),
            );
        }
    });
    it("an API timeout too short for a database that can pause", () => {
        const raw = {
            database: { engine: "aurora-serverless", engineVersion: "16.4", minCapacityAcu: 0 },
            compute: { mode: "lambda", lambda: { timeoutSeconds: 15 } },
        };
        expectOne(raw, "compute.lambda.timeoutSeconds", "15", /can pause .* needs 29 s/);
        assert.strictEqual(
            parseConfig({ ...raw, compute: { mode: "lambda" } }).compute.mode,
            "lambda",
            "the default fits",
        );
    });
    it("ACUs on an engine that has none", () =>
        expectOne(
            withField("database", { minCapacityAcu: 1 }),
            "database.minCapacityAcu",
            "1",
            /only to engine aurora-serverless/,
        ));
    it("a proxy in front of an auto-pausing cluster", () =>
        expectOne(
            withField("database", {
                engine: "aurora-serverless",
                engineVersion: "16.4",
                minCapacityAcu: 0,
                proxy: true,
            }),
            "database.proxy",
            "true",
            /never pause/,
        ));
    it("storage settings on Aurora", () =>
        expectOne(
            withField("database", { engine: "aurora-postgresql", allocatedStorageGb: 50 }),
            "database.allocatedStorageGb",
            "50",
            /only to engine postgres/,
        ));
    it("max storage below the allocated storage", () =>
        expectOne(
            withField("database", { allocatedStorageGb: 100, maxAllocatedStorageGb: 50 }),
            "database.maxAllocatedStorageGb",
            "50",
            /at least 10% above allocatedStorageGb \(100\), i\.e\. 110/,
        ));
    it("max storage less than 10% above the allocated storage (AWS rejects it)", () => {
        expectOne(
            withField("database", { allocatedStorageGb: 100, maxAllocatedStorageGb: 109 }),
            "database.maxAllocatedStorageGb",
            "109",
            /110 or more/,
        );
        assert.strictEqual(
            parseConfig(withField("database", { allocatedStorageGb: 100, maxAllocatedStorageGb: 110 })).database
                .maxAllocatedStorageGb,
            110,
        );
    });
    it("a reserved master user name", () =>
        expectOne(
            withField("database", { masterUsername: "postgres" }),
            "database.masterUsername",
            '"postgres"',
            /reserved/,
        ));
    it("lambda behind an ALB", () =>
        expectOne(withField("compute", { ingress: "alb" }), "compute.ingress", '"alb"', /HTTP API/));
    it("a lambda timeout the HTTP API cannot wait for", () =>
        expectOne(
            withField("compute", { lambda: { timeoutSeconds: 60 } }),
            "compute.lambda.timeoutSeconds",
            "60",
            /1 to 29/,
        ));
    it("a bad alarm email", () =>
        expectOne({ ...minimal(), alarms: { emails: ["oncall"] } }, "alarms.emails[0]", '"oncall"', /email/));
    it("an instance class whose memory is not listed: the memory and connection thresholds must be given", () => {
        const raw = withField("database", { instanceClass: "db.z1d.large" });
        assert.deepEqual(
            problems(raw).map((p) => p.split(": ")[0]),
            ["private-app:alarms.dbFreeableMemoryMb", "private-app:alarms.dbConnections"],
        );
        assert.doesNotThrow(() => parseConfig({ ...raw, alarms: { dbConnections: 1000, dbFreeableMemoryMb: 2048 } }));
    });
    it("the AWS-managed SNS key for the alarm topic (CloudWatch cannot use it)", () =>
        expectOne(
            { ...minimal(), alarms: { kmsKeyArn: "alias/aws/sns" } },
            "alarms.kmsKeyArn",
            '"alias/aws/sns"',
            /AWS-managed key/,
        ));
    it("no NAT and no way to reach Secrets Manager", () =>
        expectOne(
            { ...minimal(), network: { natGateways: "none" }, database: { engine: "postgres", iamAuth: false } },
            "network.interfaceEndpoints",
            "[]",
            /interface endpoint/,
        ));
    it("an existing VPC with too few isolated subnets", () => {
        const raw = withField("network", {
            existingVpc: {
                vpcId: "vpc-0123456789abcdef0",
                privateSubnetIds: ["subnet-0a000000", "subnet-0b000000"],
                isolatedSubnetIds: ["subnet-0c000000"],
            },
        });
        const ps = problems(raw);
        assert.ok(
            ps.some(
                (p) =>
                    p.startsWith("private-app:network.existingVpc.isolatedSubnetIds: ") &&
                    /as many subnets as private subnets \(2\)/.test(p),
            ),
            ps.join("\n"),
        );
    });
    it("an existing VPC with a subnet in two tiers", () => {
        const raw = withField("network", {
            existingVpc: {
                vpcId: "vpc-0123456789abcdef0",
                privateSubnetIds: ["subnet-0a000000", "subnet-0b000000"],
                isolatedSubnetIds: ["subnet-0a000000", "subnet-0c000000"],
            },
        });
        const ps = problems(raw);
        assert.strictEqual(ps.length, 1, ps.join("\n"));
        assert.match(
            ps[0],
            /^private-app:network\.existingVpc\.isolatedSubnetIds\[0\]: got "subnet-0a000000"; is also in privateSubnetIds/,
        );
    });
    it("an existing VPC with settings it does not use", () => {
        const raw = withField("network", {
            natGateways: "perAz",
            existingVpc: {
                vpcId: "vpc-0123456789abcdef0",
                privateSubnetIds: ["subnet-0a000000", "subnet-0b000000"],
                isolatedSubnetIds: ["subnet-0c000000", "subnet-0d000000"],
            },
        });
        expectOne(raw, "network.natGateways", '"perAz"', /not used with network.existingVpc/);
    });
    it("an existing VPC that is valid", () => {
        const s = parseConfig(
            withField("network", {
                existingVpc: {
                    vpcId: "vpc-0123456789abcdef0",
                    privateSubnetIds: ["subnet-0a000000", "subnet-0b000000"],
                    isolatedSubnetIds: ["subnet-0c000000", "subnet-0d000000"],
                },
            }),
        );
        assert.strictEqual(s.network.kind, "existing");
        assert.deepStrictEqual(s.network.plan.isolatedSubnetIds, ["subnet-0c000000", "subnet-0d000000"]);
    });
});

describe("config: every problem at once", () => {
    it("reports problems of several keys in one run", () => {
        const ps = problems({
            network: { cidr: "banana", azCount: 5, natGateways: "two" },
            database: { engine: "postgres", backupRetentionDays: 40 },
            compute: { mode: "ec2", ingress: "apiGateway", ec2: { minSize: 5, maxSize: 3 } },
        });
        const keys = ps.map((p) => p.split(": ")[0]);
        assert.deepStrictEqual(keys, [
            "private-app:network.cidr",
            "private-app:network.azCount",
            "private-app:network.natGateways",
            "private-app:database.backupRetentionDays",
            "private-app:compute.ec2.minSize",
        ]);
    });

    it("the error is a Pulumi RunError (printed without a stack trace by `pulumi up`)", () => {
        try {
            parseConfig({});
            assert.fail("expected an error");
        } catch (e) {
            assert.ok(ConfigError.isInstance(e));
            assert.strictEqual((e as { __pulumiRunError?: boolean }).__pulumiRunError, true);
            assert.match((e as Error).message, /^Invalid configuration \(2 problems\):\n {2}private-app:database: /);
        }
    });
});

describe("config: the raw stack config map", () => {
    it("parses JSON values of the namespace and ignores other namespaces", () => {
        const s = parseStackConfig({
            "aws:region": "eu-west-1",
            "private-app:database": JSON.stringify({ engine: "postgres" }),
            "private-app:compute": JSON.stringify({ mode: "lambda" }),
        });
        assert.strictEqual(s.database.engine, "postgres");
    });
    it("rejects an unknown key of the namespace and still reports the others", () => {
        try {
            parseStackConfig({
                "aws:region": "eu-west-1",
                "private-app:netwrok": "{}",
                "private-app:compute": JSON.stringify({ mode: "lambda" }),
            });
            assert.fail("expected an error");
        } catch (e) {
            assert.ok(ConfigError.isInstance(e));
            assert.match(
                e.problems[0],
                /^private-app:netwrok: got \{\}; unknown key; allowed keys: private-app:network/,
            );
            assert.match(e.problems[1], /^private-app:database: /);
        }
    });
    it("a plain string where an object is expected", () => {
        try {
            parseStackConfig({
                "aws:region": "eu-west-1",
                "private-app:database": "postgres",
                "private-app:compute": JSON.stringify({ mode: "lambda" }),
            });
            assert.fail("expected an error");
        } catch (e) {
            assert.ok(ConfigError.isInstance(e));
            assert.strictEqual(e.problems.length, 1);
            assert.match(e.problems[0], /^private-app:database: got "postgres"; .*object/);
        }
    });
});

/** Every leaf path of the schema, e.g. `network.azCount`, plus the objects themselves. */
function schemaPaths(): string[] {
    const paths: string[] = [];
    const unwrap = (s: z.ZodType): z.ZodType => {
        let x = s;
        while (x instanceof z.ZodDefault || x instanceof z.ZodOptional) x = x.unwrap() as z.ZodType;
        return x;
    };
    const walk = (prefix: string, schema: z.ZodType) => {
        paths.push(prefix);
        const s = unwrap(schema);
        if (s instanceof z.ZodObject)
            for (const [k, v] of Object.entries(s.shape)) walk(`${prefix}.${k}`, v as z.ZodType);
    };
    for (const top of CONFIG_KEYS) walk(top, SCHEMAS[top].schema as z.ZodType);
    return paths;
}

describe("config: the reference in README.md", () => {
    it("has one row per field of the schema, and no other", () => {
        const documented = CONFIG_REFERENCE.map((r) => r.key);
        assert.deepStrictEqual([...documented].sort(), schemaPaths().sort());
        assert.strictEqual(new Set(documented).size, documented.length, "no key documented twice");
    });

    it("documents the defaults the planners apply", () => {
        // What the code resolves for each documented key, from a minimal config.
        const base = parseConfig(minimal());
        const serverless = parseConfig(withField("database", { engine: "aurora-serverless" })).databasePlan;
        const existing = parseConfig(
            withField("network", {
                existingVpc: {
                    vpcId: "vpc-0123456789abcdef0",
                    privateSubnetIds: ["subnet-0a000000", "subnet-0b000000"],
                    isolatedSubnetIds: ["subnet-0c000000", "subnet-0d000000"],
                },
            }),
        ).network.plan as unknown as Record<string, unknown>;
        const db = base.databasePlan as unknown as Record<string, unknown>;
        const backup = parseConfig(withField("database", { backupPlan: {} })).backupPlan!.plan as unknown as Record<
            string,
            unknown
        >;
        const compliance = parseConfig(
            withField("database", {
                backupPlan: {
                    vaultLock: {
                        mode: "compliance",
                        minRetentionDays: 7,
                        maxRetentionDays: 35,
                        acknowledge: "irreversible",
                    },
                },
            }),
        ).backupPlan!.plan.vaultLock as unknown as Record<string, unknown>;
        const applied: Record<string, (key: string) => unknown> = {
            "network.existingVpc": (k) => existing[k],
            network: (k) => (vpc(base) as unknown as Record<string, unknown>)[k],
            database: (k) =>
                k === "minCapacityAcu"
                    ? serverless.scaling?.minCapacity
                    : k === "maxCapacityAcu"
                      ? serverless.scaling?.maxCapacity
                      : db[k],
            "database.backupPlan": (k) => backup[k],
            "database.backupPlan.vaultLock": (k) => compliance[k],
            "compute.lambda": (k) => (LAMBDA_DEFAULTS as Record<string, unknown>)[k],
            "compute.api": (k) => (HTTP_API_DEFAULTS as Record<string, unknown>)[k],
            "compute.ecs": (k) => (ECS_DEFAULTS as Record<string, unknown>)[k],
            "compute.ec2": (k) => (EC2_DEFAULTS as Record<string, unknown>)[k],
            "compute.alb": (k) => (ALB_DEFAULTS as Record<string, unknown>)[k],
            "compute.api.auth": (k) => (JWT_AUTH_DEFAULTS as Record<string, unknown>)[k],
            "compute.alb.oidc": (k) => (ALB_OIDC_DEFAULTS as Record<string, unknown>)[k],
            alarms: (k) =>
                k === "emails"
                    ? base.alarms.emails
                    : (base.databasePlan.alarms as unknown as Record<string, unknown>)[k],
        };
        let checked = 0;
        for (const row of CONFIG_REFERENCE) {
            let expected: unknown;
            try {
                expected = JSON.parse(row.default);
            } catch {
                continue; // a sentence: checked by its own test
            }
            if (typeof expected === "object" && expected !== null && !Array.isArray(expected)) continue; // whole objects
            const parent = row.key.slice(0, row.key.lastIndexOf("."));
            const resolve = applied[parent];
            assert.ok(resolve, `no resolver for ${row.key}`);
            assert.deepStrictEqual(
                resolve(row.key.slice(parent.length + 1)),
                expected,
                `documented default of ${row.key}`,
            );
            checked++;
        }
        assert.ok(checked >= 40, `only ${checked} defaults checked`);
        const required = CONFIG_REFERENCE.filter((r) => r.default === "required").map((r) => r.key);
        assert.deepStrictEqual(required, [
            "network.existingVpc.vpcId",
            "network.existingVpc.privateSubnetIds",
            "network.existingVpc.isolatedSubnetIds",
            "database",
            "database.engine",
            "database.restore.pointInTime.source",
            "database.restore.pointInTime.time",
            "database.backupPlan.vaultLock.mode",
            "database.backupPlan.vaultLock.minRetentionDays",
            "database.backupPlan.vaultLock.maxRetentionDays",
            "compute",
            "compute.mode",
            // Required only inside the optional sign-in objects.
            "compute.alb.oidc.issuer",
            "compute.alb.oidc.authorizationEndpoint",
            "compute.alb.oidc.tokenEndpoint",
            "compute.alb.oidc.userInfoEndpoint",
            "compute.alb.oidc.clientId",
            "compute.alb.oidc.clientSecret",
            "compute.api.auth.issuer",
            "compute.api.auth.audiences",
        ]);
    });

    it("README.md holds the generated table", () => {
        const { withReference } = configReference;
        const readme = fs.readFileSync(path.join(root, "README.md"), "utf8");
        assert.strictEqual(
            withReference(readme),
            readme,
            "README.md's config reference is out of date: run `npm run docs`",
        );
    });
});

describe("config: engine versions", () => {
    it("postgres takes a major alone (AWS upgrades minors) or a pinned MAJOR.MINOR", () => {
        assert.strictEqual(parseConfig(minimal()).databasePlan.engineVersion, "16");
        assert.strictEqual(
            parseConfig(withField("database", { engineVersion: "17" })).databasePlan.engineVersion,
            "17",
        );
        assert.strictEqual(
            parseConfig(withField("database", { engineVersion: "16.6" })).databasePlan.engineVersion,
            "16.6",
        );
    });
    it("Aurora defaults to a pinned MAJOR.MINOR and rejects a major alone, once", () => {
        assert.strictEqual(
            parseConfig(withField("database", { engine: "aurora-postgresql" })).databasePlan.engineVersion,
            "16.6",
        );
        expectOne(
            withField("database", { engine: "aurora-serverless", engineVersion: "16" }),
            "database.engineVersion",
            '"16"',
            /Aurora needs MAJOR\.MINOR/,
        );
        expectOne(
            withField("database", { engine: "aurora-postgresql", engineVersion: "16" }),
            "database.engineVersion",
            '"16"',
            /Aurora needs MAJOR\.MINOR/,
        );
    });
    it("rejects a three-part version", () =>
        expectOne(
            withField("database", { engineVersion: "16.4.1" }),
            "database.engineVersion",
            '"16.4.1"',
            /MAJOR or MAJOR\.MINOR/,
        ));
});

describe("config: the region", () => {
    const stack = (region: string) => ({
        "aws:region": region,
        "private-app:database": JSON.stringify({ engine: "postgres" }),
        "private-app:compute": JSON.stringify({ mode: "lambda" }),
    });
    it("accepts a region whose RDS CA the app ships", () => {
        assert.strictEqual(parseStackConfig(stack("eu-west-1")).compute.mode, "lambda");
    });
    it("rejects a region the app's RDS CA bundle does not cover, naming aws:region", () => {
        try {
            parseStackConfig(stack("il-central-1"));
            assert.fail("expected an error");
        } catch (e) {
            assert.ok(ConfigError.isInstance(e));
            assert.strictEqual(e.problems.length, 1);
            assert.match(
                e.problems[0],
                /^aws:region: got "il-central-1"; the app's RDS certificate bundle .* covers only .*eu-west-1.*\. Fix: /,
            );
        }
    });
});

describe("config: odd inputs still give one clear line each", () => {
    const fields = (top: "network" | "database") =>
        top === "network"
            ? /expected an object with the fields cidr, azCount, natGateways, /
            : /expected an object with the fields engine, /;
    for (const [title, value] of [
        ["an array", [1, 2]],
        ["null", null],
        ["a number", 3],
        ["an empty string", ""],
    ] as const) {
        it(`a whole key given as ${title}`, () =>
            expectOne({ ...minimal(), network: value }, "network", JSON.stringify(value), fields("network")));
    }
    it("a nested object given as a list names its fields", () =>
        expectOne(
            withField("network", { existingVpc: ["vpc-12345678"] }),
            "network.existingVpc",
            '["vpc-12345678"]',
            /fields vpcId, cidr, publicSubnetIds/,
        ));
    it("a number given as a quoted string says so, with the command", () => {
        const [p] = problems(withField("network", { azCount: "3" }));
        assert.match(
            p,
            /^private-app:network\.azCount: got "3"; expected 2 or 3, as a number rather than a quoted string\. Fix: remove the quotes in the stack file, or: pulumi config set --path 'network\.azCount' 3$/,
        );
    });
    it("a boolean given as a quoted string says so", () =>
        expectOne(
            withField("database", { multiAz: "true" }),
            "database.multiAz",
            '"true"',
            /as a boolean rather than a quoted string/,
        ));
    it("a nested unknown key names its full path and the keys allowed there", () =>
        expectOne(
            withField("network", {
                existingVpc: { vpcId: "vpc-12345678", privateSubnetIds: [], isolatedSubnetIds: [], extra: { deep: 1 } },
            }),
            "network.existingVpc.extra",
            '{"deep":1}',
            /unknown key; allowed keys here: vpcId, cidr, publicSubnetIds/,
        ));
    it("a very long value is cut, a very long or odd key is quoted and cut: still one line", () => {
        const long = problems(withField("network", { cidr: "x".repeat(5000) }));
        assert.strictEqual(long.length, 1);
        assert.ok(long[0].length < 300, long[0]);
        const [odd] = problems(withField("network", { "a\nb": 2 }));
        assert.match(odd, /^private-app:network\["a\\nb"\]: got 2; unknown key/);
        const [longKey] = problems(withField("network", { ["k".repeat(300)]: 1 }));
        assert.ok(longKey.startsWith(`private-app:network["${"k".repeat(57)}..."]: got 1;`), longKey);
        for (const p of [...long, odd, longKey]) assert.ok(!p.includes("\n"), p);
    });
    it("zod's own wording never leaks through (api throttling, CORS origins)", () => {
        const ps = problems(withField("compute", { api: { throttlingRateLimit: 0, corsAllowOrigins: [42] } }));
        assert.deepStrictEqual(ps.map((p) => p.split(": ")[0]).sort(), [
            "private-app:compute.api.corsAllowOrigins[0]",
            "private-app:compute.api.throttlingRateLimit",
        ]);
        for (const p of ps) assert.ok(!/Invalid input|Too small|expected number to be/.test(p), p);
    });
});

describe("config: aws:region", () => {
    const saved = { AWS_REGION: process.env.AWS_REGION, AWS_DEFAULT_REGION: process.env.AWS_DEFAULT_REGION };
    beforeEach(() => {
        delete process.env.AWS_REGION;
        delete process.env.AWS_DEFAULT_REGION;
    });
    after(() => {
        for (const [k, v] of Object.entries(saved))
            if (v === undefined) delete process.env[k];
            else process.env[k] = v;
    });
    const base = {
        "private-app:database": JSON.stringify({ engine: "postgres" }),
        "private-app:compute": JSON.stringify({ mode: "lambda" }),
    };
    const problemsOf = (all: Record<string, string>): readonly string[] => {
        try {
            parseStackConfig(all);
        } catch (e) {
            if (ConfigError.isInstance(e)) return e.problems;
            throw e;
        }
        return [];
    };
    it("unset: a problem (the plan would otherwise invent a region)", () => {
        const ps = problemsOf(base);
        assert.strictEqual(ps.length, 1);
        assert.match(ps[0], /^aws:region: got nothing \(unset\); .*\. Fix: pulumi config set aws:region <region>/);
    });
    it("unset in the stack but in the environment, as the AWS provider reads it: fine", () => {
        process.env.AWS_REGION = "eu-west-1";
        assert.deepStrictEqual(problemsOf(base), []);
    });
    it("reported together with the other problems, not after they are fixed", () => {
        const ps = problemsOf({
            ...base,
            "aws:region": "il-central-1",
            "private-app:network": JSON.stringify({ azCount: 5 }),
        });
        assert.deepStrictEqual(
            ps.map((p) => p.split(": ")[0]),
            ["private-app:network.azCount", "aws:region"],
        );
        const unset = problemsOf({ ...base, "private-app:network": JSON.stringify({ azCount: 5 }) });
        assert.deepStrictEqual(
            unset.map((p) => p.split(": ")[0]),
            ["private-app:network.azCount", "aws:region"],
        );
    });
});
