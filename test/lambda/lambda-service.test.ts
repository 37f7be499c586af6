import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import type { RecordedResource, RecordingMocks } from "../../tools/mocks";
import { byId, ofType, one, settle, useMocks, valueOf } from "../support/harness";
import { LambdaService, type LambdaServiceArgs } from "../../components/compute/lambda-service";
import { ACCESS_LOG_FIELDS, STAGE_NAME, VPC_ENI_ACTIONS } from "../../lib/lambda-plan";
import {
    ALARM_TOPIC,
    API_CODE,
    APP_SECRET_ARN,
    baseArgs,
    bundle,
    code,
    connectArn,
    DB_HOST,
    DB_SG,
    fakeDatabase,
    FAKE_APP_PASSWORD,
    FAKE_MASTER_PASSWORD,
    type FakeDatabase,
    KMS_KEY_ARN,
    MASTER_SECRET_ARN,
    MIGRATIONS_SHA,
    PRIVATE_SUBNETS,
    PROXY_HOST,
    PROXY_SG,
    recordDependencies,
    sha256,
    VPC_CIDR,
    VPC_ID,
} from "./fixtures";

const T = {
    fn: "aws:lambda/function:Function",
    sg: "aws:ec2/securityGroup:SecurityGroup",
    egress: "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
    ingress: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    sgRule: "aws:ec2/securityGroupRule:SecurityGroupRule",
    role: "aws:iam/role:Role",
    rolePolicy: "aws:iam/rolePolicy:RolePolicy",
    attachment: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    logGroup: "aws:cloudwatch/logGroup:LogGroup",
    invocation: "aws:lambda/invocation:Invocation",
    permission: "aws:lambda/permission:Permission",
    api: "aws:apigatewayv2/api:Api",
    integration: "aws:apigatewayv2/integration:Integration",
    route: "aws:apigatewayv2/route:Route",
    stage: "aws:apigatewayv2/stage:Stage",
    alarm: "aws:cloudwatch/metricAlarm:MetricAlarm",
    component: "private-app:compute:LambdaService",
};

interface Deployed {
    mocks: RecordingMocks;
    resources: RecordedResource[];
    service: LambdaService;
    db: FakeDatabase;
    /** URNs each registration depended on (explicit `dependsOn` and inputs), by `type::name`. */
    dependencies: Map<string, string[]>;
}

async function deploy(name: string, db: FakeDatabase, overrides: Partial<LambdaServiceArgs> = {}): Promise<Deployed> {
    const mocks = await useMocks();
    const dependencies = recordDependencies();
    const service = new LambdaService(name, baseArgs(db, overrides));
    const resources = await settle(mocks);
    return { mocks, resources, service, db, dependencies };
}

const inputs = (r: RecordedResource) => r.inputs as Record<string, any>;
const env = (fn: RecordedResource): Record<string, string> => inputs(fn).environment.variables;
const policyOf = (resources: RecordedResource[], name: string) =>
    JSON.parse(inputs(one(resources, T.rolePolicy, name)).policy as string);
const statement = (doc: any, sid: string) => doc.Statement.find((s: any) => s.Sid === sid);
const actions = (doc: any): string[] =>
    doc.Statement.flatMap((s: any) => (Array.isArray(s.Action) ? s.Action : [s.Action]));

describe("LambdaService (IAM auth, NAT)", function () {
    let d: Deployed;
    let fns: { api: RecordedResource; migrate: RecordedResource };
    before(async () => {
        d = await deploy("svc", fakeDatabase({ iamAuth: true }));
        fns = { api: one(d.resources, T.fn, "svc-api"), migrate: one(d.resources, T.fn, "svc-migrate") };
    });

    it("declares exactly the expected children, all parented to the component", () => {
        const counts: Record<string, number> = {};
        for (const r of d.resources) counts[r.type] = (counts[r.type] ?? 0) + 1;
        assert.deepStrictEqual(counts, {
            [T.component]: 1,
            [T.sg]: 2, // the API function's and the migration function's
            [T.egress]: 4,
            [T.ingress]: 2, // declared by the (fake) database's allowFrom / allowAdminFrom
            [T.logGroup]: 3,
            [T.role]: 2,
            [T.rolePolicy]: 2,
            [T.fn]: 2,
            [T.invocation]: 1,
            [T.api]: 1,
            [T.integration]: 1,
            [T.route]: 1,
            [T.stage]: 1,
            [T.permission]: 1,
            [T.alarm]: 4,
        });
        const component = one(d.resources, T.component, "svc");
        for (const r of d.resources) {
            if (r === component || r.type === T.ingress) continue;
            assert.strictEqual(r.parent, component.urn, `${r.type} ${r.name} is not a child of the component`);
            assert.ok(r.name.startsWith("svc"), `${r.name} is not named after the component`);
        }
    });

    it("runs each function in the private subnets behind its own security group", () => {
        const groups = { api: one(d.resources, T.sg, "svc-api"), migrate: one(d.resources, T.sg, "svc-lambda") };
        for (const fn of ["api", "migrate"] as const) {
            const sg = groups[fn];
            assert.strictEqual(inputs(sg).vpcId, VPC_ID);
            assert.deepStrictEqual(inputs(fns[fn]).vpcConfig.subnetIds, PRIVATE_SUBNETS);
            assert.deepStrictEqual(inputs(fns[fn]).vpcConfig.securityGroupIds, [sg.id]);
        }
        for (const fn of [fns.api, fns.migrate]) {
            // Destroy: detach from the Lambda group first (default group), so its ENIs do not
            // hold the group's deletion for the ~20-40 min Lambda takes to release them.
            assert.strictEqual(inputs(fn).replaceSecurityGroupsOnDestroy, true);
            assert.strictEqual(
                inputs(fn).replacementSecurityGroupIds,
                undefined,
                "the VPC's default group is the replacement",
            );
            assert.deepStrictEqual(inputs(fn).architectures, ["arm64"]);
            assert.strictEqual(inputs(fn).runtime, "nodejs22.x");
            assert.strictEqual(inputs(fn).handler, "index.handler");
            assert.strictEqual(inputs(fn).memorySize, 512);
        }
        assert.strictEqual(inputs(fns.api).timeout, 15);
        assert.strictEqual(inputs(fns.api).reservedConcurrentExecutions, undefined);
        assert.strictEqual(inputs(fns.migrate).timeout, 300);
        assert.strictEqual(
            inputs(fns.migrate).reservedConcurrentExecutions,
            undefined,
            "the advisory lock serialises runs; no reserved concurrency",
        );
        assert.strictEqual(inputs(fns.api).tracingConfig, undefined);
    });

    it("packages the code as index.js with its hash", () => {
        assert.deepStrictEqual(Object.keys(inputs(fns.api).code.archive), ["index.js"]);
        assert.match(inputs(fns.api).code.archive["index.js"], new RegExp(`sha256:${sha256(API_CODE).slice(0, 16)}`));
        assert.strictEqual(inputs(fns.api).sourceCodeHash, sha256(API_CODE));
    });

    it("gives each group no ingress, egress 5432 to the database and 443 to anywhere (NAT)", () => {
        assert.strictEqual(ofType(d.resources, T.sgRule).length, 0);
        for (const name of ["svc-api", "svc-lambda"]) {
            const sg = one(d.resources, T.sg, name);
            assert.strictEqual(inputs(sg).ingress, undefined);
            assert.strictEqual(inputs(sg).egress, undefined);
            const ingressOnIt = ofType(d.resources, T.ingress).filter((r) => inputs(r).securityGroupId === sg.id);
            assert.strictEqual(ingressOnIt.length, 0);
            const simplified = ofType(d.resources, T.egress)
                .map((r) => inputs(r))
                .filter((e) => e.securityGroupId === sg.id)
                .map((e) => ({
                    proto: e.ipProtocol,
                    from: e.fromPort,
                    to: e.toPort,
                    sg: e.referencedSecurityGroupId,
                    cidr: e.cidrIpv4,
                }))
                .sort((a, b) => a.from - b.from);
            assert.deepStrictEqual(simplified, [
                { proto: "tcp", from: 443, to: 443, sg: undefined, cidr: "0.0.0.0/0" },
                { proto: "tcp", from: 5432, to: 5432, sg: DB_SG, cidr: undefined },
            ]);
        }
    });

    it("admits the API's group on the client path and the migrations' on the admin path, once each", async () => {
        const api = one(d.resources, T.sg, "svc-api");
        const migrate = one(d.resources, T.sg, "svc-lambda");
        assert.deepStrictEqual(
            d.db.allowed.map((a) => a.name),
            ["svc-api"],
        );
        assert.deepStrictEqual(
            d.db.adminAllowed.map((a) => a.name),
            ["svc-lambda"],
        );
        assert.strictEqual(await valueOf(d.db.allowed[0].source), api.id);
        assert.strictEqual(await valueOf(d.db.adminAllowed[0].source), migrate.id);
        const rules = ofType(d.resources, T.ingress).map((r) => [
            r.name,
            inputs(r).securityGroupId,
            inputs(r).referencedSecurityGroupId,
        ]);
        assert.deepStrictEqual(rules.sort(), [
            ["svc-api-to-db", DB_SG, api.id],
            ["svc-lambda-to-db", DB_SG, migrate.id],
        ]);
    });

    it("passes connection settings, never a password, in the environment (IAM auth)", () => {
        assert.deepStrictEqual(env(fns.api), {
            DB_HOST,
            DB_PORT: "5432",
            DB_NAME: "app",
            DB_USER: "app_user",
            DB_IAM_AUTH: "true",
        });
        assert.deepStrictEqual(env(fns.migrate), {
            DB_HOST,
            DB_PORT: "5432",
            DB_NAME: "app",
            DB_SECRET_ARN: MASTER_SECRET_ARN,
            APP_USER_AUTH: "iam",
            DB_STATEMENT_TIMEOUT_MS: "270000",
        });
        assertNoSecrets(d.resources);
    });

    it("writes JSON logs to owned log groups with the configured retention", () => {
        const api = one(d.resources, T.logGroup, "svc-api");
        const migrate = one(d.resources, T.logGroup, "svc-migrate");
        const access = one(d.resources, T.logGroup, "svc-access");
        for (const g of [api, migrate, access]) assert.strictEqual(inputs(g).retentionInDays, 30);
        assert.strictEqual(inputs(fns.api).loggingConfig.logFormat, "JSON");
        assert.strictEqual(inputs(fns.migrate).loggingConfig.logFormat, "JSON");
        assert.match(inputs(fns.api).loggingConfig.logGroup, /^svc-api-[0-9a-f]{7}$/);
        assert.match(inputs(fns.migrate).loggingConfig.logGroup, /^svc-migrate-[0-9a-f]{7}$/);
    });

    it("gives each function its own role trusted by Lambda only", () => {
        for (const name of ["svc-api", "svc-migrate"]) {
            const trust = JSON.parse(inputs(one(d.resources, T.role, name)).assumeRolePolicy);
            assert.deepStrictEqual(
                trust.Statement.map((s: any) => [s.Effect, s.Principal, s.Action]),
                [["Allow", { Service: "lambda.amazonaws.com" }, "sts:AssumeRole"]],
            );
            const policy = one(d.resources, T.rolePolicy, name);
            assert.strictEqual(inputs(policy).role, one(d.resources, T.role, name).id);
        }
        assert.strictEqual(ofType(d.resources, T.attachment).length, 0);
    });

    it("scopes the API policy: own logs, ENIs, rds-db:connect as the app user; no secret, no KMS", () => {
        const doc = policyOf(d.resources, "svc-api");
        assert.strictEqual(
            statement(doc, "WriteOwnLogs").Resource,
            `arn:aws:logs:eu-west-1:123456789012:log-group:${inputs(fns.api).loggingConfig.logGroup}:*`,
        );
        assert.deepStrictEqual(statement(doc, "AttachToVpc").Action, [...VPC_ENI_ACTIONS]);
        assert.strictEqual(statement(doc, "AttachToVpc").Resource, "*");
        assert.deepStrictEqual(statement(doc, "ConnectWithIamToken").Resource, [connectArn("app_user")]);
        assert.ok(!actions(doc).includes("secretsmanager:GetSecretValue"));
        assert.ok(!actions(doc).includes("kms:Decrypt"));
        assert.ok(!actions(doc).some((a) => a.includes("*") && a !== "*"), "no wildcard actions");
    });

    it("scopes the migration policy: own logs, ENIs, the master secret only; no rds-db:connect", () => {
        const doc = policyOf(d.resources, "svc-migrate");
        assert.strictEqual(
            statement(doc, "WriteOwnLogs").Resource,
            `arn:aws:logs:eu-west-1:123456789012:log-group:${inputs(fns.migrate).loggingConfig.logGroup}:*`,
        );
        assert.deepStrictEqual(statement(doc, "ReadDatabaseSecrets").Resource, [MASTER_SECRET_ARN]);
        assert.ok(!actions(doc).includes("rds-db:connect"));
        assert.strictEqual(statement(doc, "DecryptDatabaseSecrets"), undefined);
    });

    it("invokes the migration function with the migrations' and code's hashes", () => {
        const inv = one(d.resources, T.invocation);
        assert.match(inputs(inv).functionName, /^svc-migrate-[0-9a-f]{7}$/);
        assert.strictEqual(inputs(inv).lifecycleScope, "CREATE_ONLY");
        const payload = JSON.parse(inputs(inv).input);
        assert.strictEqual(payload.migrationsSha256, MIGRATIONS_SHA);
        assert.strictEqual(payload.codeSha256, code().migrate.sha256);
        assert.deepStrictEqual(payload.target, { host: DB_HOST, port: "5432", database: "app" });
        assert.deepStrictEqual(payload.appUser, { auth: "iam" });
    });

    it("orders the deploy: migrations after the function, its policy, the SG rules and the DB admission; the API after the migrations", () => {
        const urnOf = (type: string, name: string) => one(d.resources, type, name).urn;
        const depsOf = (type: string, name: string) =>
            d.dependencies.get(`${type}::${name}`) ?? assert.fail(`no registration ${type} ${name}`);
        const invDeps = depsOf(T.invocation, "svc-migrate");
        for (const [type, name] of [
            [T.fn, "svc-migrate"],
            [T.rolePolicy, "svc-migrate"],
            [T.egress, "svc-lambda-to-db"],
            [T.egress, "svc-lambda-https"],
            [T.ingress, "svc-lambda-to-db"],
        ] as const) {
            assert.ok(invDeps.includes(urnOf(type, name)), `the invocation does not depend on ${type} ${name}`);
        }
        for (const [type, name] of [
            [T.egress, "svc-api-to-db"],
            [T.egress, "svc-api-https"],
            [T.ingress, "svc-api-to-db"],
        ] as const) {
            assert.ok(
                depsOf(T.fn, "svc-api").includes(urnOf(type, name)),
                `the API function does not wait for ${type} ${name}`,
            );
            assert.ok(!invDeps.includes(urnOf(type, name)), `the migrations need not wait for the API's ${name}`);
        }
        const apiDeps = depsOf(T.fn, "svc-api");
        assert.ok(
            apiDeps.includes(urnOf(T.invocation, "svc-migrate")),
            "the API function does not wait for the migrations",
        );
        assert.ok(
            apiDeps.includes(urnOf(T.rolePolicy, "svc-api")),
            "the API function does not wait for its policy (ENI permissions)",
        );
        const migrateDeps = depsOf(T.fn, "svc-migrate");
        assert.ok(
            migrateDeps.includes(urnOf(T.rolePolicy, "svc-migrate")),
            "the migration function does not wait for its policy",
        );
        assert.ok(
            !migrateDeps.includes(urnOf(T.fn, "svc-api")),
            "no cycle: the migration function must not wait for the API",
        );
        assert.ok(!invDeps.includes(urnOf(T.fn, "svc-api")), "no cycle: the migrations must not wait for the API");
    });

    it("exposes an HTTP API with a $default route to the API function (AWS_PROXY, payload 2.0)", () => {
        const api = one(d.resources, T.api);
        assert.strictEqual(inputs(api).protocolType, "HTTP");
        assert.strictEqual(inputs(api).disableExecuteApiEndpoint, false);
        assert.strictEqual(inputs(api).corsConfiguration, undefined);
        const integration = one(d.resources, T.integration);
        assert.strictEqual(inputs(integration).apiId, api.id);
        assert.strictEqual(inputs(integration).integrationType, "AWS_PROXY");
        assert.strictEqual(inputs(integration).payloadFormatVersion, "2.0");
        assert.match(
            inputs(integration).integrationUri,
            /^arn:aws:apigateway:eu-west-1:lambda:path\/2015-03-31\/functions\/arn:aws:lambda:eu-west-1:123456789012:function:svc-api-[0-9a-f]{7}\/invocations$/,
        );
        const route = one(d.resources, T.route);
        assert.strictEqual(inputs(route).apiId, api.id);
        assert.strictEqual(inputs(route).routeKey, "$default");
        assert.strictEqual(inputs(route).target, `integrations/${integration.id}`);
    });

    it("deploys a $default stage with throttling, detailed metrics and JSON access logs without headers", () => {
        const stage = one(d.resources, T.stage);
        const api = one(d.resources, T.api);
        assert.strictEqual(inputs(stage).apiId, api.id);
        assert.strictEqual(inputs(stage).name, "$default");
        assert.strictEqual(inputs(stage).autoDeploy, true);
        assert.deepStrictEqual(inputs(stage).defaultRouteSettings, {
            throttlingRateLimit: 50,
            throttlingBurstLimit: 100,
            detailedMetricsEnabled: true,
        });
        const logs = inputs(stage).accessLogSettings;
        assert.match(logs.destinationArn, /^arn:aws:logs:eu-west-1:123456789012:log-group:svc-access-[0-9a-f]{7}$/);
        const format = JSON.parse(logs.format);
        assert.deepStrictEqual(format, ACCESS_LOG_FIELDS);
        for (const key of ["requestId", "ip", "routeKey", "status", "responseLength", "integrationError"])
            assert.ok(key in format, key);
        assert.ok(!/header|authorization|cookie/i.test(logs.format), "no header in the access log");
    });

    it("lets only this API invoke the API function", () => {
        const permission = one(d.resources, T.permission);
        const api = one(d.resources, T.api);
        assert.strictEqual(inputs(permission).principal, "apigateway.amazonaws.com");
        assert.strictEqual(inputs(permission).action, "lambda:InvokeFunction");
        assert.match(inputs(permission).function, /^svc-api-[0-9a-f]{7}$/);
        assert.strictEqual(inputs(permission).sourceArn, `arn:aws:execute-api:eu-west-1:123456789012:${api.id}/*/*`);
    });

    it("declares four alarms on errors, throttles, failed migrations and 5xx, notifying the topic", () => {
        const alarms = ofType(d.resources, T.alarm).map((a) => inputs(a));
        const api = one(d.resources, T.api);
        const summary = alarms
            .map((a) => [a.namespace, a.metricName, Object.keys(a.dimensions).sort().join("+")].join(" "))
            .sort();
        assert.deepStrictEqual(summary, [
            "AWS/ApiGateway 5xx ApiId+Stage",
            "AWS/Lambda Errors FunctionName",
            "AWS/Lambda Errors FunctionName",
            "AWS/Lambda Throttles FunctionName",
        ]);
        for (const a of alarms) {
            assert.deepStrictEqual(a.alarmActions, [ALARM_TOPIC]);
            assert.deepStrictEqual(a.okActions, [ALARM_TOPIC]);
            assert.strictEqual(a.treatMissingData, "notBreaching");
            assert.strictEqual(a.statistic, "Sum");
            assert.strictEqual(a.period, 300);
            assert.strictEqual(a.threshold, 0);
            assert.strictEqual(a.comparisonOperator, "GreaterThanThreshold");
        }
        const gw = alarms.find((a) => a.namespace === "AWS/ApiGateway")!;
        assert.deepStrictEqual(gw.dimensions, { ApiId: api.id, Stage: STAGE_NAME });
        const errorTargets = alarms
            .filter((a) => a.metricName === "Errors")
            .map((a) => a.dimensions.FunctionName)
            .sort();
        assert.strictEqual(errorTargets.length, 2);
        assert.match(errorTargets[0], /^svc-api-/);
        assert.match(errorTargets[1], /^svc-migrate-/);
    });

    it("outputs the URL, names, ids and children", async () => {
        const s = d.service;
        assert.match(await valueOf(s.url), /^https:\/\/[0-9a-f]+\.execute-api\.eu-west-1\.amazonaws\.com\/$/);
        assert.match(await valueOf(s.apiFunctionName), /^svc-api-[0-9a-f]{7}$/);
        assert.match(await valueOf(s.migrationFunctionName), /^svc-migrate-[0-9a-f]{7}$/);
        assert.strictEqual(await valueOf(s.securityGroupId), one(d.resources, T.sg, "svc-api").id);
        assert.strictEqual(s.securityGroup.urn !== s.migrationSecurityGroup.urn, true);
        assert.strictEqual(await valueOf(s.apiId), one(d.resources, T.api).id);
        assert.ok(s.apiFunction && s.migrationFunction && s.api && s.stage && s.migrationInvocation);
        assert.strictEqual(s.alarms.length, 4);
    });
});

describe("LambdaService (password auth, no NAT, KMS, options)", function () {
    let d: Deployed;
    let fns: { api: RecordedResource; migrate: RecordedResource };
    before(async () => {
        d = await deploy("pw", fakeDatabase({ iamAuth: false, kmsKeyArns: [KMS_KEY_ARN] }), {
            privateEgress: false,
            corsAllowOrigins: ["https://app.example.com"],
            reservedConcurrency: 25,
            memoryMb: 1024,
            timeoutSeconds: 20,
            architecture: "x86_64",
            runtime: "nodejs24.x",
            logRetentionDays: 90,
            accessLogRetentionDays: 365,
            throttlingRateLimit: 200,
            throttlingBurstLimit: 400,
            migrationTimeoutSeconds: 600,
            tracing: "active",
            dbPoolMax: 4,
        });
        fns = { api: one(d.resources, T.fn, "pw-api"), migrate: one(d.resources, T.fn, "pw-migrate") };
    });

    it("uses only the characters EC2 accepts in security group and rule descriptions", () => {
        const allowed = /^[a-zA-Z0-9. _\-:/()#,@[\]+=&;{}!$*]*$/;
        for (const r of [...ofType(d.resources, T.sg), ...ofType(d.resources, T.egress)]) {
            assert.match(inputs(r).description, allowed, `${r.name}: ${inputs(r).description}`);
        }
    });

    it("limits HTTPS egress to the VPC range without NAT", () => {
        for (const name of ["pw-lambda-https", "pw-api-https"]) {
            const https = one(d.resources, T.egress, name);
            assert.strictEqual(inputs(https).cidrIpv4, VPC_CIDR);
            assert.strictEqual(inputs(https).fromPort, 443);
            assert.strictEqual(inputs(https).toPort, 443);
        }
        const egress = ofType(d.resources, T.egress);
        assert.strictEqual(egress.length, 4);
        assert.ok(!egress.some((e) => inputs(e).cidrIpv4 === "0.0.0.0/0"));
    });

    it("passes the app user's secret ARN (not IAM auth) to the API, and both ARNs to the migrations", () => {
        assert.deepStrictEqual(env(fns.api), {
            DB_HOST,
            DB_PORT: "5432",
            DB_NAME: "app",
            DB_USER: "app_user",
            DB_SECRET_ARN: APP_SECRET_ARN,
            DB_POOL_MAX: "4",
        });
        assert.deepStrictEqual(env(fns.migrate), {
            DB_HOST,
            DB_PORT: "5432",
            DB_NAME: "app",
            DB_SECRET_ARN: MASTER_SECRET_ARN,
            APP_USER_AUTH: "secret",
            APP_USER_SECRET_ARN: APP_SECRET_ARN,
            DB_STATEMENT_TIMEOUT_MS: "570000",
        });
        assertNoSecrets(d.resources);
    });

    it("grants GetSecretValue on exactly the needed secrets and kms:Decrypt via Secrets Manager only", () => {
        const api = policyOf(d.resources, "pw-api");
        assert.deepStrictEqual(statement(api, "ReadDatabaseSecrets").Resource, [APP_SECRET_ARN]);
        assert.ok(!actions(api).includes("rds-db:connect"));
        const migrate = policyOf(d.resources, "pw-migrate");
        assert.deepStrictEqual(statement(migrate, "ReadDatabaseSecrets").Resource, [MASTER_SECRET_ARN, APP_SECRET_ARN]);
        for (const doc of [api, migrate]) {
            const kms = statement(doc, "DecryptDatabaseSecrets");
            assert.deepStrictEqual(kms.Action, ["kms:Decrypt"]);
            assert.deepStrictEqual(kms.Resource, [KMS_KEY_ARN]);
            assert.deepStrictEqual(kms.Condition, {
                StringEquals: { "kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com" },
            });
            assert.deepStrictEqual(statement(doc, "WriteTraces").Action, [
                "xray:PutTraceSegments",
                "xray:PutTelemetryRecords",
            ]);
        }
    });

    it("applies the sizing, runtime, tracing and concurrency options", () => {
        assert.strictEqual(inputs(fns.api).memorySize, 1024);
        assert.strictEqual(inputs(fns.api).timeout, 20);
        assert.strictEqual(inputs(fns.api).reservedConcurrentExecutions, 25);
        assert.strictEqual(
            inputs(fns.migrate).reservedConcurrentExecutions,
            undefined,
            "the advisory lock serialises runs; no reserved concurrency",
        );
        assert.strictEqual(inputs(fns.migrate).timeout, 600);
        for (const fn of [fns.api, fns.migrate]) {
            assert.deepStrictEqual(inputs(fn).architectures, ["x86_64"]);
            assert.strictEqual(inputs(fn).runtime, "nodejs24.x");
            assert.deepStrictEqual(inputs(fn).tracingConfig, { mode: "Active" });
        }
        for (const name of ["pw-api", "pw-migrate"])
            assert.strictEqual(inputs(one(d.resources, T.logGroup, name)).retentionInDays, 90);
        assert.strictEqual(inputs(one(d.resources, T.logGroup, "pw-access")).retentionInDays, 365);
        assert.deepStrictEqual(inputs(one(d.resources, T.stage)).defaultRouteSettings, {
            throttlingRateLimit: 200,
            throttlingBurstLimit: 400,
            detailedMetricsEnabled: true,
        });
    });

    it("configures CORS for the listed origins", () => {
        assert.deepStrictEqual(inputs(one(d.resources, T.api)).corsConfiguration, {
            allowOrigins: ["https://app.example.com"],
            allowMethods: ["GET", "POST", "OPTIONS"],
            allowHeaders: ["content-type", "authorization"],
            maxAge: 300,
        });
    });

    it("re-runs the migrations when the app user's secret changes (payload carries its ARN)", () => {
        const payload = JSON.parse(inputs(one(d.resources, T.invocation)).input);
        assert.deepStrictEqual(payload.appUser, { auth: "secret", secretArn: APP_SECRET_ARN });
    });
});

describe("LambdaService (behind an RDS Proxy, fake database)", function () {
    let d: Deployed;
    let fns: { api: RecordedResource; migrate: RecordedResource };
    before(async () => {
        d = await deploy("px", fakeDatabase({ iamAuth: true, proxied: true }));
        fns = { api: one(d.resources, T.fn, "px-api"), migrate: one(d.resources, T.fn, "px-migrate") };
    });

    it("sends the API through the proxy and the migrations straight to the database", () => {
        assert.strictEqual(env(fns.api).DB_HOST, PROXY_HOST);
        assert.strictEqual(env(fns.migrate).DB_HOST, DB_HOST);
        assert.strictEqual(env(fns.migrate).DB_SECRET_ARN, MASTER_SECRET_ARN);
        const payload = JSON.parse(inputs(one(d.resources, T.invocation)).input);
        assert.deepStrictEqual(payload.target, { host: DB_HOST, port: "5432", database: "app" });
    });

    it("lets the API's group out to the proxy only, and the migrations' to the database only", () => {
        for (const r of ofType(d.resources, T.egress))
            assert.match(inputs(r).description, /^[a-zA-Z0-9. _\-:/()#,@[\]+=&;{}!$*]*$/, r.name);
        const to = (group: string) => {
            const sg = one(d.resources, T.sg, group);
            return ofType(d.resources, T.egress)
                .map((r) => inputs(r))
                .filter((e) => e.securityGroupId === sg.id)
                .map((e) => ({ from: e.fromPort, to: e.toPort, sg: e.referencedSecurityGroupId, cidr: e.cidrIpv4 }))
                .sort((a, b) => a.from - b.from);
        };
        assert.deepStrictEqual(to("px-api"), [
            { from: 443, to: 443, sg: undefined, cidr: "0.0.0.0/0" },
            { from: 5432, to: 5432, sg: PROXY_SG, cidr: undefined },
        ]);
        assert.deepStrictEqual(to("px-lambda"), [
            { from: 443, to: 443, sg: undefined, cidr: "0.0.0.0/0" },
            { from: 5432, to: 5432, sg: DB_SG, cidr: undefined },
        ]);
    });

    it("is admitted to the proxy (API) and to the database (migrations), and each waits for its rules", async () => {
        const api = one(d.resources, T.sg, "px-api");
        const migrate = one(d.resources, T.sg, "px-lambda");
        assert.deepStrictEqual(
            d.db.allowed.map((a) => a.name),
            ["px-api"],
        );
        assert.deepStrictEqual(
            d.db.adminAllowed.map((a) => a.name),
            ["px-lambda"],
        );
        const rules = ofType(d.resources, T.ingress);
        assert.deepStrictEqual(
            rules.map((r) => [r.name, inputs(r).securityGroupId, inputs(r).referencedSecurityGroupId]).sort(),
            [
                ["px-api-to-db", PROXY_SG, api.id],
                ["px-lambda-to-db-admin", DB_SG, migrate.id],
            ],
        );
        const invDeps = d.dependencies.get(`${T.invocation}::px-migrate`) ?? assert.fail("no invocation");
        for (const [type, name] of [
            [T.ingress, "px-lambda-to-db-admin"],
            [T.egress, "px-lambda-to-db"],
            [T.egress, "px-lambda-https"],
        ] as const) {
            assert.ok(
                invDeps.includes(one(d.resources, type, name).urn),
                `the invocation does not depend on ${type} ${name}`,
            );
        }
        const apiDeps = d.dependencies.get(`${T.fn}::px-api`) ?? assert.fail("no API function");
        assert.ok(apiDeps.includes(one(d.resources, T.ingress, "px-api-to-db").urn));
    });

    it("still reads only the master secret for the migrations (no rds-db:connect), and IAM for the API", () => {
        const migrate = policyOf(d.resources, "px-migrate");
        assert.deepStrictEqual(statement(migrate, "ReadDatabaseSecrets").Resource, [MASTER_SECRET_ARN]);
        assert.ok(!actions(migrate).includes("rds-db:connect"));
        const api = policyOf(d.resources, "px-api");
        assert.deepStrictEqual(statement(api, "ConnectWithIamToken").Resource, [connectArn("app_user")]);
        assert.ok(!actions(api).includes("secretsmanager:GetSecretValue"));
    });
});

describe("LambdaService migration trigger", function () {
    async function payloadFor(name: string, overrides: Partial<LambdaServiceArgs>): Promise<string> {
        const d = await deploy(name, fakeDatabase(), overrides);
        return inputs(one(d.resources, T.invocation)).input as string;
    }

    it("changes the invocation input when the migrations change, and only then", async () => {
        const a = await payloadFor("mig-a", {});
        const same = await payloadFor("mig-b", {});
        const changed = await payloadFor("mig-c", { code: code({ migrationsSha256: sha256("0002_add_index.sql") }) });
        const newCode = await payloadFor("mig-d", {
            code: code({ migrate: bundle("exports.handler = async () => 1;\n") }),
        });
        const apiOnly = await payloadFor("mig-e", {
            code: code({ api: bundle("exports.handler = async () => 2;\n") }),
        });
        assert.strictEqual(same, a, "identical inputs give an identical payload (deterministic)");
        assert.notStrictEqual(changed, a);
        assert.strictEqual(JSON.parse(changed).migrationsSha256, sha256("0002_add_index.sql"));
        assert.notStrictEqual(newCode, a, "new migration code re-runs the migrations");
        assert.strictEqual(apiOnly, a, "an API-only change does not re-run the migrations");
    });

    it("sets NODE_OPTIONS only for a bundle with an inline source map", async () => {
        const withMap = "exports.handler=async()=>1;\n//# sourceMappingURL=data:application/json;base64,e30=\n";
        const d = await deploy("maps", fakeDatabase(), { code: code({ api: bundle(withMap) }) });
        assert.strictEqual(env(one(d.resources, T.fn, "maps-api")).NODE_OPTIONS, "--enable-source-maps");
        assert.strictEqual(env(one(d.resources, T.fn, "maps-migrate")).NODE_OPTIONS, undefined);
    });
});

describe("LambdaService argument validation", function () {
    let mocks: RecordingMocks;
    beforeEach(async () => {
        mocks = await useMocks();
    });

    function attempt(name: string, args: LambdaServiceArgs): Error {
        try {
            new LambdaService(name, args);
        } catch (e) {
            return e as Error;
        }
        assert.fail("expected the constructor to throw");
    }

    it("reports every problem at once, before declaring anything", async () => {
        const db = fakeDatabase();
        const err = attempt("svc", {
            ...baseArgs(db),
            memoryMb: 64,
            timeoutSeconds: 30,
            reservedConcurrency: -1,
            logRetentionDays: 31,
            architecture: "sparc" as never,
            runtime: "nodejs18.x" as never,
            privateSubnetIds: [],
            vpcCidr: "10.0.0.0/33",
            throttlingBurstLimit: 0,
            corsAllowOrigins: ["https://ok.example.com/path"],
            migrationTimeoutSeconds: 30,
            dbPoolMax: 50,
        });
        assert.match(err.message, /^LambdaService "svc": invalid arguments \(12 problems\):/);
        for (const expected of [
            /memoryMb: got 64; expected a whole number from 128 to 10240/,
            /timeoutSeconds: got 30; expected a whole number from 1 to 29/,
            /reservedConcurrency: got -1;/,
            /logRetentionDays: got 31; expected one of: 1, 3, 5/,
            /architecture: got "sparc"; expected one of: arm64, x86_64/,
            /runtime: got "nodejs18.x"; expected one of: nodejs22.x, nodejs24.x/,
            /privateSubnetIds: got \[\]; expected 1 to 16 private subnet ids/,
            /vpcCidr: got "10.0.0.0\/33"; expected an IPv4 CIDR/,
            /throttlingBurstLimit: got 0;/,
            /corsAllowOrigins\[0\]: got "https:\/\/ok.example.com\/path"; expected an origin/,
            /migrationTimeoutSeconds: got 30; expected a whole number from 60 to 900/,
            /dbPoolMax: got 50; expected a whole number from 1 to 20/,
        ]) {
            assert.match(err.message, expected);
        }
        const resources = await settle(mocks);
        assert.strictEqual(resources.length, 0, `declared ${resources.map((r) => r.name).join(", ")}`);
        assert.strictEqual(db.allowed.length, 0);
    });

    it("requires the app user's secret when IAM auth is off", async () => {
        const err = attempt("svc", baseArgs(fakeDatabase({ iamAuth: false, withAppSecret: false })));
        assert.match(
            err.message,
            /database\.appUserSecretArn: got nothing \(unset\); missing while database\.iamAuth is false/,
        );
        assert.strictEqual((await settle(mocks)).length, 0);
    });

    it("limits the name so that every derived name fits (allowFrom client names, IAM role names)", () => {
        assert.match(
            attempt("a".repeat(33), baseArgs(fakeDatabase())).message,
            /name: got "a{33}"; .*at most 32 characters/,
        );
    });

    it("requires the admin path of the connection contract", () => {
        const db = {
            ...fakeDatabase(),
            proxied: undefined as never,
            adminHost: undefined as never,
            allowAdminFrom: undefined as never,
        };
        const err = attempt("svc", baseArgs(db));
        assert.match(
            err.message,
            /database: got nothing \(unset\); expected a DatabaseConnection with allowFrom\(\), allowAdminFrom\(\) and iamConnectArn\(\)/,
        );
        assert.match(err.message, /database\.proxied: got nothing \(unset\); expected true or false/);
        assert.match(
            err.message,
            /database\.adminHost \/ database\.adminSecurityGroupId: got nothing \(unset\); required/,
        );
    });

    it("refuses the master user as the app user", () => {
        const db = { ...fakeDatabase(), appUsername: "app_admin" };
        assert.match(
            attempt("svc", baseArgs(db)).message,
            /database\.appUsername: got "app_admin"; must differ from database\.masterUsername/,
        );
    });

    it("refuses a code hash that does not match the code, and malformed hashes", () => {
        const err = attempt(
            "svc",
            baseArgs(fakeDatabase(), {
                code: {
                    api: { code: API_CODE, sha256: sha256("other") },
                    migrate: { code: "", sha256: "x" },
                    migrationsSha256: "abc",
                },
            }),
        );
        assert.match(
            err.message,
            /code\.api\.sha256: got "[0-9a-f]{64}"; does not match code\.api\.code; rebuild the bundle/,
        );
        assert.match(err.message, /code\.migrate\.code: got nothing \(unset\); missing or empty/);
        assert.match(err.message, /code\.migrationsSha256: got "abc"; expected 64 lower-case hex digits/);
    });

    it("refuses bad names, subnet ids, VPC ids, topic ARNs and wildcard-plus-origin CORS", () => {
        const err = attempt(
            "My_Service",
            baseArgs(fakeDatabase(), {
                vpcId: "vpc-xyz",
                privateSubnetIds: ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa1", "sub-1"],
                alarmTopicArn: "alarms",
                corsAllowOrigins: ["*", "https://app.example.com"],
                privateEgress: "yes" as never,
            }),
        );
        for (const expected of [
            /name: got "My_Service"; expected lower-case letters/,
            /vpcId: got "vpc-xyz"; expected a VPC id/,
            /privateSubnetIds: got "sub-1"; expected a subnet id/,
            /privateSubnetIds: got \[.*\]; subnet ids must be distinct/,
            /alarmTopicArn: got "alarms"; expected an SNS topic ARN/,
            /corsAllowOrigins: got \["\*","https:\/\/app.example.com"\]; "\*" already allows every origin/,
            /privateEgress: got "yes"; expected true/,
        ]) {
            assert.match(err.message, expected);
        }
    });

    it("accepts outputs for the network arguments (checked by AWS at deploy time)", async () => {
        new LambdaService(
            "outs",
            baseArgs(fakeDatabase(), {
                vpcId: pulumi.output(VPC_ID),
                vpcCidr: pulumi.output(VPC_CIDR),
                privateSubnetIds: pulumi.output(PRIVATE_SUBNETS),
                alarmTopicArn: pulumi.output(ALARM_TOPIC),
            }),
        );
        const resources = await settle(mocks);
        for (const fn of ofType(resources, T.fn))
            assert.deepStrictEqual(inputs(fn).vpcConfig.subnetIds, PRIVATE_SUBNETS);
        for (const sg of ofType(resources, T.sg)) assert.strictEqual(inputs(sg).vpcId, VPC_ID);
        const https = ofType(resources, T.egress).find((e) => e.name === "outs-api-https")!;
        assert.strictEqual(byId(resources, inputs(https).securityGroupId), one(resources, T.sg, "outs-api"));
    });
});

/** No input of any resource holds a password; env vars named *SECRET* hold ARNs only. */
function assertNoSecrets(resources: RecordedResource[]): void {
    const text = JSON.stringify(resources.map((r) => r.inputs));
    assert.ok(
        !text.includes(FAKE_MASTER_PASSWORD) && !text.includes(FAKE_APP_PASSWORD),
        "a password reached a resource input",
    );
    for (const fn of ofType(resources, T.fn)) {
        for (const [k, v] of Object.entries(env(fn))) {
            assert.ok(!/PASSWORD|TOKEN/i.test(k), `${k} looks like a credential`);
            assert.ok(v !== FAKE_MASTER_PASSWORD && v !== FAKE_APP_PASSWORD, `${k} holds a password`);
            if (/SECRET/.test(k))
                assert.match(v, /^arn:aws:secretsmanager:/, `${k} must be a secret ARN, not a secret`);
        }
    }
}
