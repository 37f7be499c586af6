/**
 * The ec2 planner, the instance type table and the user data renderer, directly (no plan).
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { API_ENV, ENV } from "../../app/contract";
import { containerEnvironment } from "../../lib/ecs-plan";
import { EC2_INSTANCE_TYPES, instanceTypeArchitecture } from "../../lib/ec2-instance-types";
import {
    al2023AmiParameter,
    artifactKey,
    EC2_BOOT_BUDGET,
    EC2_DEFAULTS,
    ec2AlarmSpecs,
    instanceRefreshPreferences,
    instanceRolePolicy,
    MIN_HEALTH_CHECK_GRACE_SECONDS,
    planEc2,
    resolveEc2Architecture,
} from "../../lib/ec2-plan";
import {
    renderUnit,
    renderUserData,
    systemdQuote,
    unitEnvironment,
    unitOfUserData,
    type UserDataInputs,
} from "../../lib/ec2-user-data";
import { shellcheck } from "../support/shellcheck";

const keys = (o: Parameters<typeof planEc2>[0]) => planEc2(o).map((p) => p.key);

describe("ec2 plan: instance types", () => {
    it("knows Graviton families as arm64 and Intel/AMD ones as x86_64", () => {
        assert.strictEqual(instanceTypeArchitecture("t4g.small"), "arm64");
        assert.strictEqual(instanceTypeArchitecture("m7g.large"), "arm64");
        assert.strictEqual(instanceTypeArchitecture("c6g.medium"), "arm64");
        assert.strictEqual(instanceTypeArchitecture("t3.micro"), "x86_64");
        assert.strictEqual(instanceTypeArchitecture("t3a.small"), "x86_64");
        assert.strictEqual(instanceTypeArchitecture("m7i.large"), "x86_64");
        for (const [type, arch] of Object.entries(EC2_INSTANCE_TYPES))
            assert.strictEqual(arch, /^[a-z]+\d+g\./.test(type) ? "arm64" : "x86_64", type);
    });

    it("refuses what it does not hold, including Object's own names", () => {
        for (const t of ["t4g.mega", "m7g.medium.large", "toString", "constructor", "", "T4G.SMALL", "m5.large"])
            assert.strictEqual(instanceTypeArchitecture(t), undefined, t);
    });
});

describe("ec2 plan: rules", () => {
    it("accepts the defaults and a full valid block", () => {
        assert.deepStrictEqual(planEc2({}), []);
        assert.deepStrictEqual(
            planEc2({
                instanceType: "c7i.large",
                architecture: "x86_64",
                minSize: 1,
                maxSize: 1,
                desiredCapacity: 1,
                healthCheckGracePeriodSeconds: MIN_HEALTH_CHECK_GRACE_SECONDS,
                minHealthyPercentage: 0,
                cpuTargetPercent: 95,
                requestsPerTarget: 1,
                logRetentionDays: 90,
                rootVolumeGiB: 8,
                dbPoolMax: 20,
            }),
            [],
        );
    });

    it("an unknown type, a wrong architecture, sizes out of order", () => {
        assert.deepStrictEqual(keys({ instanceType: "x1.huge" }), ["instanceType"]);
        assert.deepStrictEqual(keys({ instanceType: "t4g.small", architecture: "x86_64" }), ["architecture"]);
        assert.deepStrictEqual(keys({ architecture: "arm64" }), [], "the default type is arm64");
        assert.deepStrictEqual(keys({ minSize: 3, maxSize: 2 }), ["minSize"]);
        assert.deepStrictEqual(keys({ minSize: 5 }), ["minSize"], "min above the default max (4)");
        assert.deepStrictEqual(keys({ desiredCapacity: 1 }), ["desiredCapacity"], "below the default min (2)");
        assert.deepStrictEqual(keys({ desiredCapacity: 5 }), ["desiredCapacity"], "above the default max (4)");
        assert.deepStrictEqual(keys({ desiredCapacity: 4 }), []);
    });

    it("the grace period must cover the boot budget, and the budget is the sum of its parts", () => {
        assert.strictEqual(MIN_HEALTH_CHECK_GRACE_SECONDS, 195);
        assert.strictEqual(
            MIN_HEALTH_CHECK_GRACE_SECONDS,
            EC2_BOOT_BUDGET.boot + EC2_BOOT_BUDGET.packages + EC2_BOOT_BUDGET.artifact + EC2_BOOT_BUDGET.healthChecks,
        );
        assert.ok(EC2_DEFAULTS.healthCheckGracePeriodSeconds >= MIN_HEALTH_CHECK_GRACE_SECONDS);
        assert.deepStrictEqual(keys({ healthCheckGracePeriodSeconds: 194 }), ["healthCheckGracePeriodSeconds"]);
        assert.deepStrictEqual(keys({ healthCheckGracePeriodSeconds: 195 }), []);
        assert.deepStrictEqual(keys({ healthCheckGracePeriodSeconds: 3601 }), ["healthCheckGracePeriodSeconds"]);
        assert.deepStrictEqual(keys({ healthCheckGracePeriodSeconds: 200.5 }), ["healthCheckGracePeriodSeconds"]);
    });

    it("resolves the architecture from the instance type", () => {
        assert.strictEqual(resolveEc2Architecture({}), "arm64");
        assert.strictEqual(resolveEc2Architecture({ instanceType: "t3.small" }), "x86_64");
        assert.strictEqual(
            al2023AmiParameter("arm64"),
            "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64",
        );
        assert.strictEqual(
            al2023AmiParameter("x86_64"),
            "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64",
        );
    });

    it("instance refresh keeps max healthy within 100 of min and within [100, 200]", () => {
        assert.deepStrictEqual(instanceRefreshPreferences({ minHealthyPercentage: 100, warmupSeconds: 300 }), {
            minHealthyPercentage: 100,
            maxHealthyPercentage: 200,
            instanceWarmup: "300",
            autoRollback: true,
            skipMatching: false,
        });
        for (let min = 0; min <= 100; min++) {
            const p = instanceRefreshPreferences({ minHealthyPercentage: min, warmupSeconds: 1 });
            assert.ok(p.maxHealthyPercentage >= 100 && p.maxHealthyPercentage <= 200, String(min));
            assert.ok(p.maxHealthyPercentage - min <= 100, String(min));
        }
    });

    it("each @default of Ec2Options is the value the code applies", () => {
        const source = fs.readFileSync(path.join(__dirname, "../../lib/ec2-plan.ts"), "utf8");
        let checked = 0;
        for (const m of source.matchAll(/@default ([^\n]+)\n\s*\*\/\n\s*(\w+)\?:/g)) {
            if (m[1]!.trim().startsWith("-")) continue;
            assert.deepStrictEqual(JSON.parse(m[1]!.trim()), (EC2_DEFAULTS as Record<string, unknown>)[m[2]!], m[2]);
            checked++;
        }
        assert.strictEqual(checked, 9);
    });
});

describe("ec2 plan: instance role and alarms", () => {
    const common = {
        artifactObjectArn: "arn:aws:s3:::b/server/x.js",
        logGroupArn: "arn:aws:logs:eu-west-1:123456789012:log-group:app",
        connectArn: "arn:aws:rds-db:eu-west-1:123456789012:dbuser:prx-1/app_user",
        secretKmsKeyArns: [],
    };
    it("IAM auth: connect, no secret; password auth: the secret, no connect; always the object and the logs", () => {
        const iam = instanceRolePolicy({ ...common, iamAuth: true });
        assert.deepStrictEqual(
            iam.Statement.map((s) => s.Sid),
            ["FetchArtifact", "WriteAppLogs", "ConnectAsAppUser"],
        );
        assert.deepStrictEqual(iam.Statement[0]!.Resource, ["arn:aws:s3:::b/server/x.js"]);
        assert.deepStrictEqual(iam.Statement[1]!.Resource, ["arn:aws:logs:eu-west-1:123456789012:log-group:app:*"]);
        const pw = instanceRolePolicy({
            ...common,
            iamAuth: false,
            appUserSecretArn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:s",
        });
        assert.deepStrictEqual(
            pw.Statement.map((s) => s.Sid),
            ["FetchArtifact", "WriteAppLogs", "ReadAppUserSecret"],
        );
        for (const s of [...iam.Statement, ...pw.Statement]) assert.notStrictEqual(s.Resource, "*", s.Sid);
    });

    it("three alarms; in-service below desired is metric math on the group's metrics", () => {
        const specs = ec2AlarmSpecs({ groupName: "g", loadBalancer: "app/l/1", targetGroup: "targetgroup/t/2" });
        assert.deepStrictEqual(
            specs.map((s) => s.key),
            ["target-5xx", "unhealthy-hosts", "in-service-below-desired"],
        );
        const below = specs[2]!;
        assert.ok("expression" in below, "an expression alarm");
        assert.deepStrictEqual(
            below.metrics.map((m) => [m.id, m.namespace, m.metricName, m.dimensions, m.statistic, m.periodSeconds]),
            [
                ["desired", "AWS/AutoScaling", "GroupDesiredCapacity", { AutoScalingGroupName: "g" }, "Minimum", 60],
                [
                    "inService",
                    "AWS/AutoScaling",
                    "GroupInServiceInstances",
                    { AutoScalingGroupName: "g" },
                    "Minimum",
                    60,
                ],
            ],
        );
        assert.deepStrictEqual(below.expression, {
            id: "missing",
            expression: "desired - inService",
            label: "Instances missing from service",
        });
        assert.deepStrictEqual(
            [below.comparisonOperator, below.threshold, below.evaluationPeriods, below.treatMissingData],
            ["GreaterThanThreshold", 0, 10, "breaching"],
        );
    });
});

describe("ec2 user data", () => {
    const db = {
        host: "db.example.eu-west-1.rds.amazonaws.com",
        adminHost: "db.example.eu-west-1.rds.amazonaws.com",
        port: "5432",
        databaseName: "app",
        appUsername: "app_user",
        masterSecretArn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-1",
    };
    const envOf = (e: { name: string; value: string }[]) => Object.fromEntries(e.map((x) => [x.name, x.value]));
    /** dev-like: password auth, a database that pauses (longer connect timeouts). */
    const devLike: UserDataInputs = {
        bucket: "app-artifacts-0a1b2c3",
        key: artifactKey("a".repeat(64)),
        sha256: "a".repeat(64),
        region: "eu-west-1",
        logGroupName: "app-app-1234567",
        environment: envOf(
            containerEnvironment(
                {
                    ...db,
                    iamAuth: false,
                    appUserSecretArn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-app-user-1",
                    pausable: true,
                },
                { port: 8080, region: "eu-west-1" },
            ),
        ),
    };
    /** prod-like: IAM auth through a proxy, a pool size. */
    const prodLike: UserDataInputs = {
        ...devLike,
        bucket: "app-artifacts-9f8e7d6",
        key: artifactKey("b".repeat(64)),
        sha256: "b".repeat(64),
        environment: envOf(
            containerEnvironment(
                { ...db, host: "proxy.example.eu-west-1.rds.amazonaws.com", iamAuth: true, pausable: false },
                { port: 8080, region: "eu-west-1", poolMax: 5 },
            ),
        ),
    };

    for (const [what, input] of [
        ["dev-like", devLike],
        ["prod-like", prodLike],
    ] as const) {
        it(`${what}: passes shellcheck`, () => {
            const r = shellcheck(renderUserData(input));
            assert.strictEqual(r.status, 0, r.output);
        });

        it(`${what}: its unit sets exactly the given environment, all of it in the contract`, () => {
            const script = renderUserData(input);
            const env = unitEnvironment(unitOfUserData(script));
            assert.deepStrictEqual(env, input.environment);
            for (const n of Object.keys(env)) assert.ok((API_ENV as readonly string[]).includes(n), n);
            assert.ok(script.includes(`--bucket "$BUCKET" --key "$KEY"`));
            assert.ok(script.includes(`readonly KEY='server/${input.sha256}.js'`));
            assert.ok(script.includes(`# Artifact sha256: ${input.sha256}\n`), "a new bundle is a new script");
            assert.ok(!/password/i.test(script));
        });
    }

    it("dev-like carries the secret's ARN and the pausable connect settings; prod-like IAM auth and the pool", () => {
        const dev = unitEnvironment(unitOfUserData(renderUserData(devLike)));
        assert.match(dev[ENV.DB_SECRET_ARN]!, /^arn:aws:secretsmanager:/);
        assert.strictEqual(dev[ENV.DB_CONNECT_TIMEOUT_MS], "20000");
        const prod = unitEnvironment(unitOfUserData(renderUserData(prodLike)));
        assert.strictEqual(prod[ENV.DB_IAM_AUTH], "true");
        assert.strictEqual(prod[ENV.DB_POOL_MAX], "5");
        assert.ok(!(ENV.DB_SECRET_ARN in prod));
    });

    it("a different bundle changes the script (so the template, so the fleet)", () => {
        assert.notStrictEqual(renderUserData(devLike), renderUserData({ ...devLike, sha256: "c".repeat(64) }));
    });

    it("quotes systemd values so that parsing gives them back", () => {
        const odd = { A: 'x"y', B: "back\\slash", C: "50%", D: "a b" };
        assert.deepStrictEqual(unitEnvironment(renderUnit(odd)), odd);
        assert.strictEqual(systemdQuote("100%"), "100%%");
    });

    it("runs the app unprivileged, restarts it on failure, stops it with SIGTERM after the drain", () => {
        const unit = renderUnit({});
        for (const line of [
            "User=private-app",
            "ExecStart=/usr/bin/node-22 /opt/private-app/server.js",
            "Restart=on-failure",
            "KillSignal=SIGTERM",
            "TimeoutStopSec=30",
            "NoNewPrivileges=yes",
            "ProtectSystem=strict",
        ])
            assert.ok(unit.split("\n").includes(line), line);
    });
});
