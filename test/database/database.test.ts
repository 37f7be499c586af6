/**
 * The Database component under recording mocks: every engine in a dev-like and a prod-like
 * setup, the proxy, the bastion, alarms, secrets and argument validation.
 */
import { strict as assert } from "assert";
import * as crypto from "crypto";
import * as aws from "@pulumi/aws";
import { DATABASE_TYPE, Database, DatabaseArgs } from "../../components/database";
import { DatabaseEngine, parseConfig } from "../../lib/config";
import {
    DB_PORT,
    PORT_FORWARD_LOCAL_PORT,
    dataSafety,
    parameterGroupFamily,
    portForwardCommand,
} from "../../lib/database-plan";
import { RecordedResource, RecordingMocks } from "../../tools/mocks";
import { ofType, one, settle, useMocks, valueOf } from "../support/harness";

const T = {
    instance: "aws:rds/instance:Instance",
    cluster: "aws:rds/cluster:Cluster",
    clusterInstance: "aws:rds/clusterInstance:ClusterInstance",
    subnetGroup: "aws:rds/subnetGroup:SubnetGroup",
    parameterGroup: "aws:rds/parameterGroup:ParameterGroup",
    clusterParameterGroup: "aws:rds/clusterParameterGroup:ClusterParameterGroup",
    proxy: "aws:rds/proxy:Proxy",
    proxyTargetGroup: "aws:rds/proxyDefaultTargetGroup:ProxyDefaultTargetGroup",
    proxyTarget: "aws:rds/proxyTarget:ProxyTarget",
    sg: "aws:ec2/securityGroup:SecurityGroup",
    ingress: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    egress: "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
    legacyRule: "aws:ec2/securityGroupRule:SecurityGroupRule",
    ec2: "aws:ec2/instance:Instance",
    role: "aws:iam/role:Role",
    rolePolicy: "aws:iam/rolePolicy:RolePolicy",
    attachment: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    profile: "aws:iam/instanceProfile:InstanceProfile",
    secret: "aws:secretsmanager/secret:Secret",
    secretVersion: "aws:secretsmanager/secretVersion:SecretVersion",
    password: "random:index/randomPassword:RandomPassword",
    randomId: "random:index/randomId:RandomId",
    alarm: "aws:cloudwatch/metricAlarm:MetricAlarm",
    logGroup: "aws:cloudwatch/logGroup:LogGroup",
} as const;

const TOPIC = "arn:aws:sns:eu-west-1:123456789012:alarms";
const KMS = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555";
const ISOLATED = ["subnet-iso0", "subnet-iso1"];
const PRIVATE = ["subnet-prv0", "subnet-prv1"];
const APP_SG = "sg-app123";
const WIRING = {
    vpcId: "vpc-0123456789abcdef0",
    isolatedSubnetIds: ISOLATED,
    privateSubnetIds: PRIVATE,
    alarmTopicArn: TOPIC,
};

interface Built {
    mocks: RecordingMocks;
    db: Database;
    rs: RecordedResource[];
}

async function build(
    args: Omit<DatabaseArgs, keyof typeof WIRING>,
    name = "db",
    clients: [string, string][] = [["app", APP_SG]],
): Promise<Built> {
    const mocks = await useMocks();
    const db = new Database(name, { ...WIRING, ...args });
    for (const [client, sg] of clients) db.connection.allowFrom(client, sg);
    const rs = await settle(mocks);
    return { mocks, db, rs };
}

const inputs = (r: RecordedResource) => r.inputs as Record<string, any>;
const ingressTo = (rs: RecordedResource[], sgId: unknown) =>
    ofType(rs, T.ingress).filter((r) => inputs(r).securityGroupId === sgId);
const egressFrom = (rs: RecordedResource[], sgId: unknown) =>
    ofType(rs, T.egress).filter((r) => inputs(r).securityGroupId === sgId);
const dbInstances = (rs: RecordedResource[]) => [...ofType(rs, T.instance), ...ofType(rs, T.clusterInstance)];
const primary = (rs: RecordedResource[], engine: DatabaseEngine) =>
    one(rs, engine === "postgres" ? T.instance : T.cluster);

/** Every string anywhere in a value. */
function strings(v: unknown, out: string[] = []): string[] {
    if (typeof v === "string") out.push(v);
    else if (Array.isArray(v)) v.forEach((x) => strings(x, out));
    else if (v !== null && typeof v === "object") Object.values(v).forEach((x) => strings(x, out));
    return out;
}

/** Every ingress rule on `sgId` is TCP 5432 from a security group (never an address range). */
function assertIngressOnlyFromGroups(rs: RecordedResource[], sgId: unknown, expectedSources: unknown[]): void {
    const rules = ingressTo(rs, sgId);
    for (const r of rules) {
        const i = inputs(r);
        assert.equal(i.ipProtocol, "tcp", r.name);
        assert.equal(i.fromPort, DB_PORT, r.name);
        assert.equal(i.toPort, DB_PORT, r.name);
        assert.equal(i.cidrIpv4, undefined, `${r.name} must not open an IPv4 range`);
        assert.equal(i.cidrIpv6, undefined, `${r.name} must not open an IPv6 range`);
        assert.equal(i.prefixListId, undefined, `${r.name} must not open a prefix list`);
        assert.ok(
            typeof i.referencedSecurityGroupId === "string" && i.referencedSecurityGroupId.startsWith("sg-"),
            r.name,
        );
    }
    assert.deepEqual(rules.map((r) => inputs(r).referencedSecurityGroupId).sort(), [...expectedSources].sort());
}

const ENGINES: DatabaseEngine[] = ["postgres", "aurora-postgresql", "aurora-serverless"];
const ALARM_METRICS: Record<DatabaseEngine, string[]> = {
    postgres: ["CPUUtilization", "FreeStorageSpace", "DatabaseConnections", "FreeableMemory"],
    "aurora-postgresql": ["CPUUtilization", "FreeLocalStorage", "DatabaseConnections", "FreeableMemory"],
    "aurora-serverless": ["CPUUtilization", "ACUUtilization", "DatabaseConnections", "FreeableMemory"],
};

describe("components/database", function () {
    for (const engine of ENGINES) {
        const scenarios = [
            // dev-like: no deletion protection, single AZ, password authentication for the app.
            { label: "dev", args: { engine, deletionProtection: false, multiAz: false, iamAuth: false } as const },
            // prod-like: deletion protection, Multi-AZ / reader, 30 days of backups, IAM auth.
            {
                label: "prod",
                args: {
                    engine,
                    deletionProtection: true,
                    multiAz: true,
                    backupRetentionDays: 30,
                    iamAuth: true,
                } as const,
            },
        ];
        for (const { label, args } of scenarios) {
            const prod = label === "prod";
            describe(`${engine}, ${label}`, () => {
                let b: Built;
                before(async () => {
                    b = await build(args);
                });

                it("parents every child to the component, with names derived from its name", () => {
                    const component = one(b.rs, DATABASE_TYPE, "db");
                    for (const r of b.rs.filter((x) => x !== component)) {
                        assert.equal(r.parent, component.urn, `${r.type} ${r.name} is not a child of the component`);
                        assert.ok(
                            r.name === "db" || r.name.startsWith("db-"),
                            `${r.name} is not derived from the component name`,
                        );
                    }
                });

                it("puts the DB subnet group on exactly the isolated subnets", async () => {
                    const group = one(b.rs, T.subnetGroup);
                    assert.deepEqual(inputs(group).subnetIds, ISOLATED);
                    const groupName = await valueOf(b.db.subnetGroup.name);
                    assert.match(groupName, /^db-subnets-/);
                    for (const r of [primary(b.rs, engine), ...ofType(b.rs, T.clusterInstance)])
                        assert.equal(inputs(r).dbSubnetGroupName, groupName, r.name);
                });

                it("sets publiclyAccessible: false on every instance", () => {
                    const all = dbInstances(b.rs);
                    assert.ok(all.length > 0);
                    for (const r of all) assert.strictEqual(inputs(r).publiclyAccessible, false, r.name);
                });

                it("gives the database its own security group: no inline rules, no egress, 5432 only from admitted groups", () => {
                    const sg = one(b.rs, T.sg);
                    assert.equal(inputs(sg).ingress, undefined, "no inline ingress");
                    assert.equal(inputs(sg).egress, undefined, "no inline egress");
                    assert.equal(inputs(sg).vpcId, WIRING.vpcId);
                    assert.deepEqual(egressFrom(b.rs, sg.id), [], "a database needs no egress");
                    assert.deepEqual(ofType(b.rs, T.legacyRule), [], "rules are aws.vpc rule resources");
                    assertIngressOnlyFromGroups(b.rs, sg.id, [APP_SG]);
                    assert.deepEqual(inputs(primary(b.rs, engine)).vpcSecurityGroupIds, [sg.id]);
                });

                it("encrypts storage and enforces TLS through the engine's parameter group", () => {
                    assert.strictEqual(inputs(primary(b.rs, engine)).storageEncrypted, true);
                    const pg = one(b.rs, engine === "postgres" ? T.parameterGroup : T.clusterParameterGroup);
                    assert.equal(inputs(pg).family, parameterGroupFamily(engine, "16.4"));
                    assert.equal(inputs(pg).family, engine === "postgres" ? "postgres16" : "aurora-postgresql16");
                    const forceSsl = (inputs(pg).parameters as any[]).filter((p) => p.name === "rds.force_ssl");
                    assert.deepEqual(
                        forceSsl.map((p) => p.value),
                        ["1"],
                    );
                    // Static on some families: "immediate" would fail the create there.
                    assert.deepEqual(
                        forceSsl.map((p) => p.applyMethod),
                        ["pending-reboot"],
                    );
                    const attached =
                        engine === "postgres"
                            ? inputs(one(b.rs, T.instance)).parameterGroupName
                            : inputs(one(b.rs, T.cluster)).dbClusterParameterGroupName;
                    assert.ok(
                        typeof attached === "string" &&
                            attached.startsWith(engine === "postgres" ? "db-params" : "db-cluster-params"),
                        String(attached),
                    );
                });

                it("lets RDS manage the master password and exposes its secret ARN", async () => {
                    const p = inputs(primary(b.rs, engine));
                    assert.strictEqual(p.manageMasterUserPassword, true);
                    assert.equal(p.password ?? p.masterPassword, undefined);
                    assert.match(
                        await valueOf(b.db.connection.masterSecretArn),
                        /^arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!/,
                    );
                });

                it(
                    prod
                        ? "prod: deletion protection, a kept final snapshot, 30 days of backups, maintenance-window changes"
                        : "dev: no deletion protection, no final snapshot, immediate changes",
                    () => {
                        const p = inputs(primary(b.rs, engine));
                        assert.strictEqual(p.deletionProtection, prod);
                        assert.strictEqual(p.skipFinalSnapshot, !prod);
                        assert.strictEqual(p.applyImmediately, !prod);
                        assert.strictEqual(p.copyTagsToSnapshot, true);
                        assert.strictEqual(p.allowMajorVersionUpgrade, false);
                        assert.equal(p.backupRetentionPeriod, prod ? 30 : 7);
                        if (prod) {
                            assert.match(
                                String(p.finalSnapshotIdentifier),
                                new RegExp(`^${b.db.identifier}-final-[0-9a-f]{8}$`),
                            );
                            assert.equal(ofType(b.rs, T.randomId).length, 1);
                        } else {
                            assert.equal(p.finalSnapshotIdentifier, undefined);
                            assert.deepEqual(ofType(b.rs, T.randomId), []);
                        }
                        for (const ci of ofType(b.rs, T.clusterInstance))
                            assert.strictEqual(inputs(ci).applyImmediately, !prod, ci.name);
                    },
                );

                it(prod ? "prod: a standby (RDS) or a reader in tier 1 (Aurora)" : "dev: a single instance", () => {
                    if (engine === "postgres") {
                        assert.strictEqual(inputs(one(b.rs, T.instance)).multiAz, prod);
                    } else {
                        const cis = ofType(b.rs, T.clusterInstance);
                        assert.deepEqual(
                            cis.map((c) => c.name),
                            prod ? ["db-writer", "db-reader"] : ["db-writer"],
                        );
                        assert.deepEqual(
                            cis.map((c) => inputs(c).promotionTier),
                            prod ? [0, 1] : [0],
                        );
                        for (const c of cis) assert.equal(inputs(c).clusterIdentifier, b.db.identifier);
                    }
                });

                it(
                    prod
                        ? "prod: protect on the instance / cluster and every cluster instance"
                        : "dev: nothing protected",
                    () => {
                        assert.equal(dataSafety(prod).protect, prod);
                        const stateful = [b.db.instance, b.db.cluster, ...b.db.clusterInstances].filter(
                            (r) => r !== undefined,
                        );
                        assert.equal(stateful.length, engine === "postgres" ? 1 : prod ? 3 : 2);
                        // Mocks do not see resource options; Pulumi keeps the effective value on the resource.
                        for (const r of stateful) assert.equal((r as any).__protect === true, prod, (r as any).__name);
                        assert.equal(b.db.safety.protect, prod);
                    },
                );

                it("declares the log groups RDS exports to, with retention, before the database", () => {
                    const groups = ofType(b.rs, T.logGroup);
                    const kind = engine === "postgres" ? "instance" : "cluster";
                    const expected = (engine === "postgres" ? ["postgresql", "upgrade"] : ["postgresql"]).map(
                        (l) => `/aws/rds/${kind}/${b.db.identifier}/${l}`,
                    );
                    assert.deepEqual(
                        groups.map((g) => inputs(g).name),
                        expected,
                    );
                    for (const g of groups) assert.equal(inputs(g).retentionInDays, 30);
                    assert.deepEqual(
                        inputs(primary(b.rs, engine)).enabledCloudwatchLogsExports,
                        engine === "postgres" ? ["postgresql", "upgrade"] : ["postgresql"],
                    );
                    assert.equal(b.db.identifier, "private-app-test-db");
                });

                it("turns Performance Insights on where the class supports it", () => {
                    const target = engine === "postgres" ? [one(b.rs, T.instance)] : ofType(b.rs, T.clusterInstance);
                    // The default RDS class (db.t4g.micro) does not support it; Aurora's classes do.
                    for (const r of target)
                        assert.strictEqual(inputs(r).performanceInsightsEnabled, engine !== "postgres", r.name);
                });

                it("alarms on the engine's metrics, to the topic", () => {
                    const alarms = ofType(b.rs, T.alarm);
                    assert.deepEqual(
                        alarms.map((a) => inputs(a).metricName),
                        ALARM_METRICS[engine],
                    );
                    for (const a of alarms) {
                        assert.deepEqual(inputs(a).alarmActions, [TOPIC]);
                        assert.deepEqual(inputs(a).okActions, [TOPIC]);
                        assert.equal(inputs(a).namespace, "AWS/RDS");
                        const dims = inputs(a).dimensions;
                        if (engine === "postgres") assert.deepEqual(dims, { DBInstanceIdentifier: b.db.identifier });
                        else assert.deepEqual(dims, { DBClusterIdentifier: b.db.identifier, Role: "WRITER" });
                    }
                });

                it(
                    args.iamAuth
                        ? "IAM auth: no application password exists"
                        : "password auth: the application password is a secret in Secrets Manager",
                    async () => {
                        assert.strictEqual(
                            inputs(primary(b.rs, engine)).iamDatabaseAuthenticationEnabled,
                            args.iamAuth,
                        );
                        assert.equal(b.db.connection.iamAuth, args.iamAuth);
                        if (args.iamAuth) {
                            assert.equal(b.db.connection.appUserSecretArn, undefined);
                            assert.deepEqual(ofType(b.rs, T.password), []);
                            assert.deepEqual(ofType(b.rs, T.secretVersion), []);
                        } else {
                            const arn = await valueOf(b.db.connection.appUserSecretArn!);
                            const secret = one(b.rs, T.secret);
                            assert.match(arn, /^arn:aws:secretsmanager:.*:secret:db-app-user-/);
                            assert.equal(inputs(one(b.rs, T.secretVersion)).secretId, secret.id);
                            assert.equal(inputs(one(b.rs, T.password)).length, 32);
                        }
                        for (const v of ofType(b.rs, T.secretVersion)) assert.equal(inputs(v).secretString, "[secret]");
                    },
                );

                it("holds no password in plain text in any input or output", async () => {
                    const all = b.rs.flatMap((r) => strings(r.inputs));
                    for (const pw of ofType(b.rs, T.password)) {
                        const value = `mock-${crypto.createHash("sha256").update(pw.id!).digest("hex").slice(0, 24)}`;
                        assert.equal(
                            all.filter((s) => s.includes(value)).length,
                            0,
                            "the generated password appears in an input",
                        );
                    }
                    assert.equal(all.filter((s) => /mock-[0-9a-f]{24}/.test(s)).length, 0);
                    const c = b.db.connection;
                    const outputs = await Promise.all(
                        [
                            c.host,
                            c.port,
                            c.masterSecretArn,
                            c.appUserSecretArn ?? "",
                            b.db.endpoint,
                            c.iamConnectArn("app_user"),
                        ].map((o) => valueOf<unknown>(o)),
                    );
                    assert.equal(strings(outputs).filter((s) => /mock-[0-9a-f]{24}/.test(s)).length, 0);
                });

                it("connects straight to the database, with an rds-db:connect ARN for its resource id", async () => {
                    const host = await valueOf(b.db.connection.host);
                    assert.equal(host, await valueOf(b.db.endpoint));
                    assert.match(
                        host,
                        engine === "postgres"
                            ? /^private-app-test-db\.c[0-9a-f]+\.eu-west-1\.rds\.amazonaws\.com$/
                            : /^private-app-test-db\.cluster-/,
                    );
                    assert.equal(await valueOf(b.db.connection.port), DB_PORT);
                    assert.equal(await valueOf(b.db.connection.securityGroupId), one(b.rs, T.sg).id);
                    assert.match(
                        await valueOf(b.db.connection.iamConnectArn("app_user")),
                        engine === "postgres"
                            ? /^arn:aws:rds-db:eu-west-1:123456789012:dbuser:db-[0-9A-F]{26}\/app_user$/
                            : /^arn:aws:rds-db:eu-west-1:123456789012:dbuser:cluster-[0-9A-F]{26}\/app_user$/,
                    );
                    assert.deepEqual(b.db.connection.secretKmsKeyArns, []);
                    assert.equal(b.db.connection.databaseName, "app");
                    assert.equal(b.db.connection.masterUsername, "app_admin");
                    assert.equal(b.db.connection.appUsername, "app_user");
                    assert.equal(b.db.proxy, undefined);
                    assert.equal(b.db.bastionInstanceId, undefined);
                });

                it("has one path in without a proxy: the admin host and group are the client's", async () => {
                    const c = b.db.connection;
                    assert.strictEqual(c.proxied, false);
                    assert.equal(await valueOf(c.adminHost), await valueOf(c.host));
                    assert.equal(await valueOf(c.adminSecurityGroupId), await valueOf(c.securityGroupId));
                });
            });
        }
    }

    describe("aurora-serverless scaling", () => {
        it("sets min/max ACUs without auto-pause, on db.serverless instances", async () => {
            const b = await build({
                engine: "aurora-serverless",
                deletionProtection: false,
                minCapacityAcu: 1,
                maxCapacityAcu: 8,
            });
            assert.deepEqual(inputs(one(b.rs, T.cluster)).serverlessv2ScalingConfiguration, {
                minCapacity: 1,
                maxCapacity: 8,
            });
            assert.equal(inputs(one(b.rs, T.cluster)).engineMode, "provisioned");
            for (const ci of ofType(b.rs, T.clusterInstance)) assert.equal(inputs(ci).instanceClass, "db.serverless");
        });

        it("adds secondsUntilAutoPause when the minimum is 0 ACU", async () => {
            const b = await build({
                engine: "aurora-serverless",
                engineVersion: "16.6",
                deletionProtection: false,
                minCapacityAcu: 0,
                maxCapacityAcu: 4,
                secondsUntilAutoPause: 900,
            });
            assert.deepEqual(inputs(one(b.rs, T.cluster)).serverlessv2ScalingConfiguration, {
                minCapacity: 0,
                maxCapacity: 4,
                secondsUntilAutoPause: 900,
            });
        });

        it("places the writer and the reader in the given AZs", async () => {
            const b = await build({
                engine: "aurora-serverless",
                deletionProtection: false,
                multiAz: true,
                availabilityZones: ["eu-west-1a", "eu-west-1b"],
            });
            assert.deepEqual(
                ofType(b.rs, T.clusterInstance).map((c) => [c.name, inputs(c).availabilityZone]),
                [
                    ["db-writer", "eu-west-1a"],
                    ["db-reader", "eu-west-1b"],
                ],
            );
        });
    });

    for (const engine of ["postgres", "aurora-postgresql"] as const) {
        for (const iamAuth of [true, false]) {
            describe(`RDS Proxy, ${engine}, iamAuth ${iamAuth}`, () => {
                let b: Built;
                before(async () => {
                    b = await build(
                        {
                            engine,
                            deletionProtection: false,
                            proxy: true,
                            proxyMaxConnectionsPercent: 35,
                            iamAuth,
                            kmsKeyArn: KMS,
                        },
                        "db",
                        [
                            ["app", APP_SG],
                            ["worker", "sg-worker456"],
                        ],
                    );
                });

                it("admits clients to the proxy's group only, and only the proxy to the database's", () => {
                    const dbSg = one(b.rs, T.sg, "db-sg");
                    const proxySg = one(b.rs, T.sg, "db-proxy-sg");
                    assert.equal(inputs(proxySg).ingress, undefined);
                    assert.equal(inputs(proxySg).egress, undefined);
                    assertIngressOnlyFromGroups(b.rs, proxySg.id, [APP_SG, "sg-worker456"]);
                    assertIngressOnlyFromGroups(b.rs, dbSg.id, [proxySg.id]);
                    assert.deepEqual(egressFrom(b.rs, dbSg.id), []);
                    const out = egressFrom(b.rs, proxySg.id);
                    assert.deepEqual(
                        out.map((r) => [
                            inputs(r).ipProtocol,
                            inputs(r).fromPort,
                            inputs(r).toPort,
                            inputs(r).referencedSecurityGroupId,
                            inputs(r).cidrIpv4,
                        ]),
                        [["tcp", DB_PORT, DB_PORT, dbSg.id, undefined]],
                    );
                });

                it("exposes the proxy endpoint and security group to clients", async () => {
                    const proxy = one(b.rs, T.proxy);
                    assert.match(
                        await valueOf(b.db.connection.host),
                        /\.proxy-c[0-9a-f]+\.eu-west-1\.rds\.amazonaws\.com$/,
                    );
                    assert.equal(await valueOf(b.db.connection.host), await valueOf(b.db.proxy!.endpoint));
                    assert.equal(await valueOf(b.db.connection.securityGroupId), one(b.rs, T.sg, "db-proxy-sg").id);
                    assert.equal(await valueOf(b.db.proxySecurityGroupId!), one(b.rs, T.sg, "db-proxy-sg").id);
                    assert.equal(await valueOf(b.db.securityGroupId), one(b.rs, T.sg, "db-sg").id);
                    assert.notEqual(await valueOf(b.db.endpoint), await valueOf(b.db.connection.host));
                    assert.equal(inputs(proxy).name, "private-app-test-db-proxy");
                });

                it("exposes the database's own endpoint and group as the admin path, bypassing the proxy", async () => {
                    const c = b.db.connection;
                    assert.strictEqual(c.proxied, true);
                    assert.equal(await valueOf(c.adminHost), await valueOf(b.db.endpoint));
                    assert.equal(
                        await valueOf(c.adminHost),
                        await valueOf(engine === "postgres" ? b.db.instance!.address : b.db.cluster!.endpoint),
                    );
                    assert.notEqual(await valueOf(c.adminHost), await valueOf(c.host));
                    assert.equal(await valueOf(c.adminSecurityGroupId), one(b.rs, T.sg, "db-sg").id);
                });

                it("requires TLS, runs in the private subnets and caps the pool", () => {
                    const proxy = inputs(one(b.rs, T.proxy));
                    assert.strictEqual(proxy.requireTls, true);
                    assert.equal(proxy.engineFamily, "POSTGRESQL");
                    assert.deepEqual(proxy.vpcSubnetIds, PRIVATE);
                    assert.strictEqual(proxy.debugLogging, false);
                    const group = inputs(one(b.rs, T.proxyTargetGroup));
                    assert.deepEqual(group.connectionPoolConfig, { maxConnectionsPercent: 35 });
                    assert.equal(group.dbProxyName, proxy.name);
                    const target = inputs(one(b.rs, T.proxyTarget));
                    assert.equal(target.dbProxyName, proxy.name);
                    assert.equal(target.targetGroupName, "default", "the proxy's default target group");
                    if (engine === "postgres") assert.equal(target.dbInstanceIdentifier, b.db.identifier);
                    else assert.equal(target.dbClusterIdentifier, b.db.identifier);
                });

                it("authenticates with the secrets, and with IAM end to end when iamAuth is on", async () => {
                    const proxy = inputs(one(b.rs, T.proxy));
                    const master = await valueOf(b.db.masterSecretArn);
                    const expected = [{ secretArn: master, iamAuth: iamAuth ? "REQUIRED" : "DISABLED" }];
                    if (!iamAuth)
                        expected.push({ secretArn: await valueOf(b.db.appUserSecretArn!), iamAuth: "DISABLED" });
                    assert.deepEqual(
                        (proxy.auths as any[]).map((a) => ({ secretArn: a.secretArn, iamAuth: a.iamAuth })),
                        expected,
                    );
                    for (const a of proxy.auths as any[]) {
                        assert.equal(a.authScheme, "SECRETS");
                        assert.equal(a.clientPasswordAuthType, "POSTGRES_SCRAM_SHA_256");
                    }
                    assert.equal(proxy.defaultAuthScheme, iamAuth ? "IAM_AUTH" : "NONE");
                });

                it("gives the proxy a least-privilege role", async () => {
                    const role = one(b.rs, T.role, "db-proxy");
                    const trust = JSON.parse(inputs(role).assumeRolePolicy);
                    assert.deepEqual(
                        trust.Statement.map((s: any) => s.Principal.Service),
                        ["rds.amazonaws.com"],
                    );
                    const policy = JSON.parse(inputs(one(b.rs, T.rolePolicy, "db-proxy")).policy);
                    const bySid = Object.fromEntries(policy.Statement.map((s: any) => [s.Sid, s]));
                    const secrets = [
                        await valueOf(b.db.masterSecretArn),
                        ...(iamAuth ? [] : [await valueOf(b.db.appUserSecretArn!)]),
                    ];
                    assert.deepEqual(bySid.ReadDatabaseSecrets, {
                        Sid: "ReadDatabaseSecrets",
                        Effect: "Allow",
                        Action: "secretsmanager:GetSecretValue",
                        Resource: secrets,
                    });
                    assert.equal(bySid.DecryptSecretsViaSecretsManager.Resource, KMS);
                    assert.deepEqual(bySid.DecryptSecretsViaSecretsManager.Condition, {
                        StringEquals: { "kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com" },
                    });
                    if (iamAuth) {
                        assert.match(
                            bySid.ConnectAsApplicationUser.Resource,
                            /^arn:aws:rds-db:eu-west-1:123456789012:dbuser:(db|cluster)-[0-9A-F]{26}\/app_user$/,
                        );
                    } else {
                        assert.equal(bySid.ConnectAsApplicationUser, undefined);
                    }
                    for (const s of policy.Statement)
                        assert.ok(!strings(s.Resource).includes("*"), `${s.Sid} must not use a wildcard resource`);
                });

                it("builds IAM connect ARNs on the proxy's resource id", async () => {
                    const id = (await valueOf(b.db.proxy!.arn)).split(":").pop();
                    assert.match(id!, /^prx-/);
                    assert.equal(
                        await valueOf(b.db.connection.iamConnectArn("app_user")),
                        `arn:aws:rds-db:eu-west-1:123456789012:dbuser:${id}/app_user`,
                    );
                });

                it("lists the customer key for secret readers and encrypts with it", () => {
                    assert.equal(b.db.connection.secretKmsKeyArns.length, 1);
                    const p = inputs(primary(b.rs, engine));
                    assert.equal(p.kmsKeyId, KMS);
                    assert.equal(p.masterUserSecretKmsKeyId, KMS);
                    for (const s of ofType(b.rs, T.secret)) assert.equal(inputs(s).kmsKeyId, KMS);
                });

                it("alarms on the proxy's client connections too", () => {
                    const alarm = one(b.rs, T.alarm, "db-proxy-client-connections");
                    assert.equal(inputs(alarm).metricName, "ClientConnections");
                    assert.deepEqual(inputs(alarm).dimensions, { ProxyName: "private-app-test-db-proxy" });
                    assert.deepEqual(inputs(alarm).alarmActions, [TOPIC]);
                    assert.equal(ofType(b.rs, T.alarm).length, 5);
                });
            });
        }
    }

    describe("bastion", () => {
        let b: Built;
        before(async () => {
            b = await build({ engine: "postgres", deletionProtection: false, bastion: true, proxy: true });
        });

        it("has no inbound rule, and egress only to HTTPS and the database", () => {
            const sg = one(b.rs, T.sg, "db-bastion-sg");
            assert.equal(inputs(sg).ingress, undefined);
            assert.equal(inputs(sg).egress, undefined);
            assert.deepEqual(ingressTo(b.rs, sg.id), []);
            const dbSg = one(b.rs, T.sg, "db-sg");
            assert.deepEqual(
                egressFrom(b.rs, sg.id)
                    .map((r) => [
                        inputs(r).fromPort,
                        inputs(r).toPort,
                        inputs(r).cidrIpv4 ?? inputs(r).referencedSecurityGroupId,
                    ])
                    .sort(),
                [
                    [443, 443, "0.0.0.0/0"],
                    [DB_PORT, DB_PORT, dbSg.id],
                ],
            );
        });

        it("is admitted straight to the database (beside the proxy)", () => {
            const dbSg = one(b.rs, T.sg, "db-sg");
            assertIngressOnlyFromGroups(b.rs, dbSg.id, [
                one(b.rs, T.sg, "db-proxy-sg").id,
                one(b.rs, T.sg, "db-bastion-sg").id,
            ]);
        });

        it("is a private, IMDSv2-only, encrypted instance without a key pair, managed by SSM", () => {
            const i = inputs(one(b.rs, T.ec2));
            assert.equal(i.instanceType, "t4g.nano");
            assert.strictEqual(i.associatePublicIpAddress, false);
            assert.equal(i.keyName, undefined);
            assert.equal(i.metadataOptions.httpTokens, "required");
            assert.strictEqual(i.rootBlockDevice.encrypted, true);
            assert.equal(i.subnetId, PRIVATE[0]);
            assert.deepEqual(i.vpcSecurityGroupIds, [one(b.rs, T.sg, "db-bastion-sg").id]);
            assert.match(i.ami, /^ami-/);
            assert.equal(b.mocks.calls.get("aws:ssm/getParameter:getParameter"), 1);
            const attachment = one(b.rs, T.attachment, "db-bastion-ssm");
            assert.equal(inputs(attachment).policyArn, "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore");
            const role = one(b.rs, T.role, "db-bastion");
            assert.equal(JSON.parse(inputs(role).assumeRolePolicy).Statement[0].Principal.Service, "ec2.amazonaws.com");
            assert.equal(inputs(one(b.rs, T.profile)).role, inputs(attachment).role);
            assert.match(i.iamInstanceProfile, /^db-bastion-[0-9a-f]{7}$/);
        });

        it("outputs its id and the port-forwarding command to the database's own endpoint", async () => {
            const id = await valueOf(b.db.bastionInstanceId!);
            assert.equal(id, one(b.rs, T.ec2).id);
            const command = await valueOf(b.db.portForwardCommand!);
            assert.equal(command, portForwardCommand(id, await valueOf(b.db.endpoint)));
            assert.ok(command.includes(`"localPortNumber":["${PORT_FORWARD_LOCAL_PORT}"]`));
        });
    });

    describe("enhanced monitoring", () => {
        it("creates a monitoring role trusted by monitoring.rds.amazonaws.com and wires the interval", async () => {
            const b = await build({
                engine: "aurora-postgresql",
                deletionProtection: false,
                monitoringIntervalSeconds: 60,
                multiAz: true,
            });
            const role = one(b.rs, T.role, "db-monitoring");
            assert.equal(
                JSON.parse(inputs(role).assumeRolePolicy).Statement[0].Principal.Service,
                "monitoring.rds.amazonaws.com",
            );
            assert.equal(
                inputs(one(b.rs, T.attachment, "db-monitoring")).policyArn,
                "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole",
            );
            for (const ci of ofType(b.rs, T.clusterInstance)) {
                assert.equal(inputs(ci).monitoringInterval, 60);
                assert.match(inputs(ci).monitoringRoleArn, /^arn:aws:iam::123456789012:role\/db-monitoring-/);
            }
        });
    });

    describe("the validated config spreads into the arguments", () => {
        for (const engine of ENGINES) {
            it(engine, async () => {
                const settings = parseConfig({ database: { engine, bastion: true }, compute: { mode: "lambda" } });
                const mocks = await useMocks();
                const db = new Database("db", { ...settings.database, ...WIRING, alarms: settings.alarms });
                const rs = await settle(mocks);
                assert.equal(ofType(rs, T.subnetGroup).length, 1);
                assert.deepEqual(db.plan, settings.databasePlan, "the component resolves what the config resolved");
                assert.strictEqual(inputs(primary(rs, engine)).deletionProtection, true);
            });
        }
    });

    describe("argument validation", () => {
        it("throws every problem before declaring any child", async () => {
            const mocks = await useMocks();
            assert.throws(
                () =>
                    new Database("db", {
                        ...WIRING,
                        engine: "aurora-serverless",
                        minCapacityAcu: 8,
                        maxCapacityAcu: 4,
                        backupRetentionDays: 40,
                        isolatedSubnetIds: ["subnet-iso0"],
                    }),
                (e: Error) => {
                    assert.match(e.message, /^Database "db": invalid arguments \(3 problems\)/);
                    assert.match(e.message, /minCapacityAcu: got 8; must not exceed maxCapacityAcu \(4\)/);
                    assert.match(e.message, /backupRetentionDays: got 40;/);
                    assert.match(e.message, /isolatedSubnetIds: got \["subnet-iso0"\];/);
                    return true;
                },
            );
            assert.deepEqual(await settle(mocks), []);
        });

        it("rejects an unusable name on the admin path too", async () => {
            const b = await build({ engine: "postgres", deletionProtection: false }, "db", []);
            assert.throws(
                () => b.db.connection.allowAdminFrom("My App", "sg-other"),
                /allowAdminFrom: got "My App"; expected 1 to 40/,
            );
            assert.throws(
                () => b.db.connection.allowAdminFrom("a".repeat(41), "sg-other"),
                /allowAdminFrom: got "a{41}"/,
            );
        });

        it("admits each client once, under a usable name", async () => {
            const b = await build({ engine: "postgres", deletionProtection: false });
            assert.throws(() => b.db.connection.allowFrom("app", "sg-other"), /"app" is already admitted/);
            assert.throws(() => b.db.connection.allowFrom("My App", "sg-other"), /allowFrom: got "My App"/);
            assert.throws(() => b.db.connection.iamConnectArn("x;y"), /iamConnectArn: got "x;y"/);
        });
    });

    describe("the admin path (allowAdminFrom)", () => {
        const ruleSummary = (rs: RecordedResource[]) =>
            ofType(rs, T.ingress)
                .filter((r) => !/-(db-from-proxy|db-from-bastion)$/.test(r.name))
                .map((r) => [r.name, inputs(r).securityGroupId, inputs(r).referencedSecurityGroupId])
                .sort();

        it("behind a proxy: a second rule, on the database's own group, besides the proxy's", async () => {
            const mocks = await useMocks();
            const db = new Database("db", { ...WIRING, engine: "postgres", deletionProtection: false, proxy: true });
            const client = db.connection.allowFrom("migrator", APP_SG);
            const admin = db.connection.allowAdminFrom("migrator", APP_SG);
            assert.ok(client instanceof aws.vpc.SecurityGroupIngressRule);
            assert.ok(admin instanceof aws.vpc.SecurityGroupIngressRule);
            assert.notStrictEqual(client, admin);
            assert.throws(
                () => db.connection.allowAdminFrom("migrator", APP_SG),
                /allowAdminFrom: "migrator" is already admitted; call allowAdminFrom once per client/,
            );
            assert.throws(
                () => db.connection.allowFrom("migrator", APP_SG),
                /allowFrom: "migrator" is already admitted/,
            );
            const rs = await settle(mocks);
            const dbSg = one(rs, T.sg, "db-sg");
            const proxySg = one(rs, T.sg, "db-proxy-sg");
            assert.deepEqual(ruleSummary(rs), [
                ["db-admin-migrator", dbSg.id, APP_SG],
                ["db-allow-migrator", proxySg.id, APP_SG],
            ]);
            assert.match(inputs(one(rs, T.ingress, "db-admin-migrator")).description, /bypassing the proxy/);
            assertIngressOnlyFromGroups(rs, dbSg.id, [proxySg.id, APP_SG]);
            assertIngressOnlyFromGroups(rs, proxySg.id, [APP_SG]);
        });

        it("behind a proxy: an admin-only client is admitted to the database and not to the proxy", async () => {
            const mocks = await useMocks();
            const db = new Database("db", {
                ...WIRING,
                engine: "aurora-postgresql",
                deletionProtection: false,
                proxy: true,
            });
            db.connection.allowAdminFrom("tools", "sg-tools789");
            const rs = await settle(mocks);
            assertIngressOnlyFromGroups(rs, one(rs, T.sg, "db-sg").id, [
                one(rs, T.sg, "db-proxy-sg").id,
                "sg-tools789",
            ]);
            assertIngressOnlyFromGroups(rs, one(rs, T.sg, "db-proxy-sg").id, []);
        });

        it("without a proxy: allowAdminFrom after allowFrom returns the same rule and declares nothing", async () => {
            const mocks = await useMocks();
            const db = new Database("db", { ...WIRING, engine: "postgres", deletionProtection: false });
            const client = db.connection.allowFrom("app", APP_SG);
            const admin = db.connection.allowAdminFrom("app", APP_SG);
            assert.strictEqual(admin, client);
            assert.throws(
                () => db.connection.allowAdminFrom("app", APP_SG),
                /"app" is already admitted; call allowAdminFrom once per client/,
            );
            const rs = await settle(mocks);
            assert.deepEqual(ruleSummary(rs), [["db-allow-app", one(rs, T.sg).id, APP_SG]]);
        });

        it("without a proxy: allowAdminFrom first declares the allowFrom rule, which a later allowFrom returns", async () => {
            const mocks = await useMocks();
            const db = new Database("db", { ...WIRING, engine: "aurora-serverless", deletionProtection: false });
            const admin = db.connection.allowAdminFrom("app", APP_SG);
            const client = db.connection.allowFrom("app", APP_SG);
            assert.strictEqual(client, admin);
            db.connection.allowAdminFrom("tools", "sg-tools789");
            const rs = await settle(mocks);
            const sg = one(rs, T.sg).id;
            assert.deepEqual(ruleSummary(rs), [
                ["db-allow-app", sg, APP_SG],
                ["db-allow-tools", sg, "sg-tools789"],
            ]);
            assert.equal(inputs(one(rs, T.ingress, "db-allow-app")).description, "PostgreSQL from app");
        });

        it("without a proxy: refuses one name for two different (known) groups", async () => {
            const mocks = await useMocks();
            const db = new Database("db", { ...WIRING, engine: "postgres", deletionProtection: false });
            db.connection.allowFrom("app", APP_SG);
            assert.throws(
                () => db.connection.allowAdminFrom("app", "sg-other"),
                /allowAdminFrom: "app" is already admitted from sg-app123, not sg-other/,
            );
            assert.deepEqual(
                ruleSummary(await settle(mocks)).map((r) => r[0]),
                ["db-allow-app"],
            );
        });
    });
});
