/**
 * The ecs mode's pure planning (lib/ecs-plan.ts): Fargate sizes, image references, task
 * counts, the ALB's certificate, the container's environment and the roles' policies.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { ENV } from "../../app/contract";
import {
    ALB_DEFAULTS,
    capacityStrategy,
    containerEnvironment,
    ECS_DEFAULTS,
    ecrRepositoryOf,
    executionRolePolicy,
    FARGATE_CPUS,
    fargateMemoryChoices,
    isImageReference,
    planAlb,
    planEcs,
    taskRolePolicy,
} from "../../lib/ecs-plan";

const keys = (ps: { key: string }[]) => ps.map((p) => p.key);

describe("ecs plan: Fargate task sizes", () => {
    it("accepts every pair of the ECS developer guide's table, and the defaults", () => {
        let pairs = 0;
        for (const cpu of FARGATE_CPUS)
            for (const memoryMb of fargateMemoryChoices(cpu)) {
                assert.deepStrictEqual(planEcs({ cpu, memoryMb }), [], `${cpu}/${memoryMb}`);
                pairs++;
            }
        assert.strictEqual(pairs, 3 + 4 + 7 + 13 + 23 + 12 + 12);
        assert.deepStrictEqual(planEcs({}), []);
        assert.ok(fargateMemoryChoices(ECS_DEFAULTS.cpu).includes(ECS_DEFAULTS.memoryMb));
    });

    for (const [cpu, memoryMb, key] of [
        [256, 4096, "memoryMb"],
        [512, 512, "memoryMb"],
        [1024, 1024, "memoryMb"],
        [2048, 17408, "memoryMb"],
        [8192, 18432, "memoryMb"], // 8 vCPU: steps of 4 GB
        [300, 1024, "cpu"],
    ] as const) {
        it(`refuses cpu ${cpu} with ${memoryMb} MiB (key ${key})`, () => {
            const ps = planEcs({ cpu, memoryMb });
            assert.deepStrictEqual(keys(ps), [key]);
        });
    }

    it("names what Fargate accepts with that cpu", () => {
        const [p] = planEcs({ cpu: 256, memoryMb: 4096 });
        assert.match(p!.allowed, /with cpu 256 only 512, 1024, 2048 MiB/);
        const [q] = planEcs({ cpu: 2048, memoryMb: 1024 });
        assert.match(q!.allowed, /4096 to 16384 in steps of 1024/);
    });
});

describe("ecs plan: tasks, image and the other settings", () => {
    it("minTasks above maxTasks is refused under minTasks, also against the default maximum", () => {
        assert.deepStrictEqual(keys(planEcs({ minTasks: 5, maxTasks: 3 })), ["minTasks"]);
        assert.deepStrictEqual(keys(planEcs({ minTasks: 5 })), ["minTasks"]);
        assert.deepStrictEqual(planEcs({ minTasks: 3, maxTasks: 3 }), []);
    });

    it("an image needs a tag or a digest", () => {
        for (const good of [
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com/private-app:3f2c1e0",
            "public.ecr.aws/org/app:1.2.3",
            "localhost:5000/app:dev",
            `ghcr.io/org/app@sha256:${"a".repeat(64)}`,
            "app:latest",
        ])
            assert.ok(isImageReference(good), good);
        for (const bad of ["app", "App:1", "registry/app:", "https://ecr/app:1", "app:1 2", "", "app@sha256:abc"])
            assert.ok(!isImageReference(bad), bad);
        assert.deepStrictEqual(keys(planEcs({ image: "not an image" })), ["image"]);
    });

    it("knows an ECR image's repository (the execution role pulls from it only)", () => {
        assert.deepStrictEqual(ecrRepositoryOf("123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/app:1"), {
            account: "123456789012",
            region: "eu-west-1",
            repository: "team/app",
        });
        assert.strictEqual(ecrRepositoryOf("ghcr.io/org/app:1"), undefined);
    });

    it("checks ranges and the options that apply only with another one", () => {
        assert.deepStrictEqual(
            keys(
                planEcs({
                    architecture: "arm" as never,
                    cpuTargetPercent: 100,
                    fargateSpotPercent: 101,
                    logRetentionDays: 31,
                    dbPoolMax: 0,
                }),
            ),
            ["architecture", "cpuTargetPercent", "logRetentionDays", "fargateSpotPercent", "dbPoolMax"],
        );
        assert.deepStrictEqual(keys(planEcs({ image: "app:1", imageRetainCount: 5 })), ["imageRetainCount"]);
    });
});

describe("ecs plan: the public ALB's certificate", () => {
    const arn = (region: string) =>
        `arn:aws:acm:${region}:123456789012:certificate/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0`;
    it("accepts an ACM ARN of the stack's region, or a domain with its zone", () => {
        assert.deepStrictEqual(planAlb({ certificateArn: arn("eu-west-1") }, { region: "eu-west-1" }), []);
        assert.deepStrictEqual(planAlb({ domainName: "api.example.com", hostedZoneId: "Z0123456789ABC" }, {}), []);
    });
    it("refuses a certificate of another region, naming both", () => {
        const [p] = planAlb({ certificateArn: arn("us-east-1") }, { region: "eu-west-1" });
        assert.strictEqual(p!.key, "certificateArn");
        assert.match(p!.allowed, /in us-east-1.*its own region \(eu-west-1\)/);
    });
    it("refuses what is not an ACM ARN, a domain without its zone, both kinds at once", () => {
        assert.deepStrictEqual(
            keys(planAlb({ certificateArn: "arn:aws:iam::123456789012:server-certificate/x" }, {})),
            ["certificateArn"],
        );
        assert.deepStrictEqual(keys(planAlb({ domainName: "api.example.com" }, {})), ["hostedZoneId"]);
        assert.deepStrictEqual(keys(planAlb({ hostedZoneId: "Z0123456789ABC" }, {})), ["domainName"]);
        // A certificate of your own for your domain: no zone needed (you point the name at the ALB).
        assert.deepStrictEqual(planAlb({ certificateArn: arn("eu-west-1"), domainName: "a.example.com" }, {}), []);
        assert.deepStrictEqual(keys(planAlb({ wafRateLimit: 500 }, {})), ["wafRateLimit"]);
        assert.deepStrictEqual(keys(planAlb({ accessLogRetentionDays: 30 }, {})), ["accessLogRetentionDays"]);
    });
});

describe("ecs plan: the container and its roles", () => {
    const db = {
        host: "db.example",
        adminHost: "db.example",
        port: "5432",
        databaseName: "app",
        appUsername: "app_user",
        iamAuth: false,
        masterSecretArn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:master-abc",
        appUserSecretArn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:app-abc",
        pausable: false,
    };

    it("the environment: the contract's names, an ARN and never a password", () => {
        const env = containerEnvironment(db, { port: 8080, region: "eu-west-1" });
        assert.deepStrictEqual(
            env.map((e) => e.name),
            [ENV.AWS_REGION, ENV.DB_HOST, ENV.DB_NAME, ENV.DB_PORT, ENV.DB_SECRET_ARN, ENV.DB_USER, ENV.PORT],
        );
        assert.ok(!env.some((e) => /PASSWORD/.test(e.name)));
        const iam = containerEnvironment({ ...db, iamAuth: true }, { port: 8080, region: "eu-west-1", poolMax: 4 });
        assert.deepStrictEqual(
            iam.filter((e) => [ENV.DB_IAM_AUTH, ENV.DB_POOL_MAX, ENV.DB_SECRET_ARN].includes(e.name as never)),
            [
                { name: ENV.DB_IAM_AUTH, value: "true" },
                { name: ENV.DB_POOL_MAX, value: "4" },
            ],
        );
    });

    it("the task role: rds-db:connect with IAM auth, else the app user's secret only", () => {
        const iam = taskRolePolicy({
            iamAuth: true,
            connectArn: "arn:aws:rds-db:eu-west-1:123456789012:dbuser:prx-1/app_user",
            secretKmsKeyArns: [],
            execCommand: false,
        });
        assert.deepStrictEqual(
            iam.Statement.map((s) => [s.Action, s.Resource]),
            [[["rds-db:connect"], ["arn:aws:rds-db:eu-west-1:123456789012:dbuser:prx-1/app_user"]]],
        );
        const secret = taskRolePolicy({
            iamAuth: false,
            connectArn: "",
            appUserSecretArn: db.appUserSecretArn,
            secretKmsKeyArns: ["arn:aws:kms:eu-west-1:123456789012:key/k"],
            execCommand: true,
        });
        assert.deepStrictEqual(
            secret.Statement.map((s) => s.Sid),
            ["ReadAppUserSecret", "DecryptSecret", "EcsExec"],
        );
        assert.deepStrictEqual(secret.Statement[0]!.Resource, [db.appUserSecretArn]);
    });

    it("the execution role: pull from that repository, write that log group", () => {
        const p = executionRolePolicy({
            repositoryArn: "arn:aws:ecr:eu-west-1:123456789012:repository/app",
            logGroupArn: "arn:aws:logs:eu-west-1:123456789012:log-group:app",
        });
        assert.deepStrictEqual(
            p.Statement.map((s) => [s.Sid, s.Resource]),
            [
                ["EcrToken", ["*"]],
                ["PullImage", ["arn:aws:ecr:eu-west-1:123456789012:repository/app"]],
                ["WriteLogs", ["arn:aws:logs:eu-west-1:123456789012:log-group:app:*"]],
            ],
        );
    });

    it("Fargate Spot: the first task always on Fargate, then the share asked for", () => {
        assert.deepStrictEqual(capacityStrategy(0), [{ capacityProvider: "FARGATE", weight: 1, base: 1 }]);
        assert.deepStrictEqual(capacityStrategy(25), [
            { capacityProvider: "FARGATE", weight: 75, base: 1 },
            { capacityProvider: "FARGATE_SPOT", weight: 25 },
        ]);
    });
});

describe("ecs plan: documented defaults", () => {
    it("each @default of EcsOptions and AlbOptions is the value the code applies", () => {
        const source = fs.readFileSync(path.join(__dirname, "../../lib/ecs-plan.ts"), "utf8");
        const documented = new Map<string, string>();
        for (const m of source.matchAll(/@default ([^\n]+)\n\s*\*\/\n\s*(\w+)\?:/g))
            documented.set(m[2]!, m[1]!.trim());
        const defaults: Record<string, unknown> = { ...ECS_DEFAULTS, ...ALB_DEFAULTS };
        let checked = 0;
        for (const [key, text] of documented) {
            if (text.startsWith("-")) continue; // a sentence
            assert.deepStrictEqual(JSON.parse(text), defaults[key], key);
            checked++;
        }
        assert.ok(checked >= 14, `only ${checked} checked`);
    });
});
