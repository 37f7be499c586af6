/**
 * The real `Database` and the real `LambdaService` together under mocks: where each function
 * connects, which security group admits which, and what the migrations wait for, with and
 * without an RDS Proxy in front of the database.
 */
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import type { DatabaseConnection } from "../../components/contracts";
import { Database, type DatabaseArgs } from "../../components/database";
import { LambdaService } from "../../components/compute/lambda-service";
import type { RecordedResource, RecordingMocks } from "../../tools/mocks";
import { ofType, one, settle, useMocks, valueOf } from "../support/harness";
import { ALARM_TOPIC, baseArgs, PRIVATE_SUBNETS, recordDependencies, VPC_ID } from "./fixtures";

const T = {
    fn: "aws:lambda/function:Function",
    sg: "aws:ec2/securityGroup:SecurityGroup",
    ingress: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    egress: "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
    rolePolicy: "aws:iam/rolePolicy:RolePolicy",
    invocation: "aws:lambda/invocation:Invocation",
};

const ISOLATED_SUBNETS = ["subnet-0ccccccccccccccc3", "subnet-0ddddddddddddddd4"];

interface Deployed {
    mocks: RecordingMocks;
    db: Database;
    service: LambdaService;
    resources: RecordedResource[];
    dependencies: Map<string, string[]>;
    /** What the service got back from each admission call, in call order. */
    calls: { method: "allowFrom" | "allowAdminFrom"; name: string; rule: pulumi.Resource }[];
}

async function deploy(args: Pick<DatabaseArgs, "engine" | "proxy" | "bastion" | "iamAuth">): Promise<Deployed> {
    const mocks = await useMocks();
    const dependencies = recordDependencies();
    const db = new Database("db", {
        ...args,
        deletionProtection: false,
        vpcId: VPC_ID,
        isolatedSubnetIds: ISOLATED_SUBNETS,
        privateSubnetIds: PRIVATE_SUBNETS,
        alarmTopicArn: ALARM_TOPIC,
    });
    const calls: Deployed["calls"] = [];
    // The real connection, with its admission calls observed (the functions are the real ones).
    const connection: DatabaseConnection = {
        ...db.connection,
        allowFrom: (name, source) => {
            const rule = db.connection.allowFrom(name, source);
            calls.push({ method: "allowFrom", name, rule });
            return rule;
        },
        allowAdminFrom: (name, source) => {
            const rule = db.connection.allowAdminFrom(name, source);
            calls.push({ method: "allowAdminFrom", name, rule });
            return rule;
        },
    };
    const service = new LambdaService("app", baseArgs(connection));
    const resources = await settle(mocks);
    return { mocks, db, service, resources, dependencies, calls };
}

const inputs = (r: RecordedResource) => r.inputs as Record<string, any>;
const env = (fn: RecordedResource): Record<string, string> => inputs(fn).environment.variables;
const sourcesOf = (rs: RecordedResource[], sgId: unknown) =>
    ofType(rs, T.ingress)
        .filter((r) => inputs(r).securityGroupId === sgId)
        .map((r) => inputs(r).referencedSecurityGroupId as string)
        .sort();
const policyOf = (rs: RecordedResource[], name: string) =>
    JSON.parse(inputs(one(rs, T.rolePolicy, name)).policy as string);
const actions = (doc: any): string[] =>
    doc.Statement.flatMap((s: any) => (Array.isArray(s.Action) ? s.Action : [s.Action]));

/** The writer endpoint of the database itself (instance address or cluster endpoint). */
function writerEndpoint(db: Database): Promise<string> {
    return valueOf(db.instance ? db.instance.address : db.cluster!.endpoint);
}

describe("Database + LambdaService", function () {
    const proxied = [
        { engine: "postgres", bastion: false },
        { engine: "postgres", bastion: true },
        { engine: "aurora-postgresql", bastion: false },
    ] as const;
    for (const { engine, bastion } of proxied) {
        describe(`behind an RDS Proxy with IAM auth (${engine}${bastion ? ", bastion" : ""})`, () => {
            let d: Deployed;
            let sg: {
                db: RecordedResource;
                proxy: RecordedResource;
                /** The migration function's group (admin path). */
                lambda: RecordedResource;
                /** The API function's group (client path). */
                api: RecordedResource;
                bastion?: RecordedResource;
            };
            before(async () => {
                d = await deploy({ engine, iamAuth: true, proxy: true, bastion });
                sg = {
                    db: one(d.resources, T.sg, "db-sg"),
                    proxy: one(d.resources, T.sg, "db-proxy-sg"),
                    lambda: one(d.resources, T.sg, "app-lambda"),
                    api: one(d.resources, T.sg, "app-api"),
                    bastion: bastion ? one(d.resources, T.sg, "db-bastion-sg") : undefined,
                };
            });

            it("connects the migrations to the database itself and the API to the proxy", async () => {
                const writer = await writerEndpoint(d.db);
                const proxyEndpoint = await valueOf(d.db.proxy!.endpoint);
                assert.notStrictEqual(writer, proxyEndpoint);
                assert.match(proxyEndpoint, /\.proxy-c[0-9a-f]+\.eu-west-1\.rds\.amazonaws\.com$/);
                assert.strictEqual(d.db.connection.proxied, true);
                assert.strictEqual(await valueOf(d.db.connection.adminHost), writer);
                assert.strictEqual(env(one(d.resources, T.fn, "app-migrate")).DB_HOST, writer);
                assert.strictEqual(env(one(d.resources, T.fn, "app-api")).DB_HOST, proxyEndpoint);
                const payload = JSON.parse(inputs(one(d.resources, T.invocation, "app-migrate")).input);
                assert.strictEqual(payload.target.host, writer, "the invocation names the host the migrations use");
            });

            it(`admits the proxy${bastion ? ", the bastion" : ""} and the migrations to the database, and only the API to the proxy`, () => {
                const expected = [sg.proxy.id, sg.lambda.id, ...(sg.bastion ? [sg.bastion.id] : [])].sort();
                assert.deepStrictEqual(sourcesOf(d.resources, sg.db.id), expected);
                assert.deepStrictEqual(sourcesOf(d.resources, sg.proxy.id), [sg.api.id]);
                const rule = (group: RecordedResource) =>
                    ofType(d.resources, T.ingress)
                        .filter((r) => inputs(r).referencedSecurityGroupId === group.id)
                        .map((r) => [r.name, inputs(r).fromPort, inputs(r).toPort, inputs(r).ipProtocol]);
                assert.deepStrictEqual(rule(sg.lambda), [["db-admin-app-lambda", 5432, 5432, "tcp"]]);
                assert.deepStrictEqual(rule(sg.api), [["db-allow-app-api", 5432, 5432, "tcp"]]);
            });

            it("lets the API out on 5432 to the proxy only and the migrations to the database only (and 443)", () => {
                const egressOf = (group: RecordedResource) =>
                    ofType(d.resources, T.egress)
                        .filter((r) => inputs(r).securityGroupId === group.id)
                        .map(inputs);
                for (const [group, target] of [
                    [sg.api, sg.proxy],
                    [sg.lambda, sg.db],
                ] as const) {
                    const egress = egressOf(group);
                    const pg = egress.filter((e) => e.fromPort === 5432);
                    assert.deepStrictEqual(
                        pg.map((e) => [e.referencedSecurityGroupId, e.ipProtocol, e.toPort, e.cidrIpv4]),
                        [[target.id, "tcp", 5432, undefined]],
                    );
                    assert.deepStrictEqual(
                        egress.filter((e) => e.fromPort !== 5432).map((e) => e.fromPort),
                        [443],
                    );
                }
            });

            it("runs the migrations once their rules exist, and the API once its own and the migrations", () => {
                assert.deepStrictEqual(
                    d.calls.map((c) => [c.method, c.name]),
                    [
                        ["allowAdminFrom", "app-lambda"],
                        ["allowFrom", "app-api"],
                    ],
                );
                const deps =
                    d.dependencies.get(`${T.invocation}::app-migrate`) ?? assert.fail("no invocation registered");
                for (const [type, name] of [
                    [T.ingress, "db-admin-app-lambda"],
                    [T.egress, "app-lambda-to-db"],
                    [T.egress, "app-lambda-https"],
                ] as const) {
                    assert.ok(
                        deps.includes(one(d.resources, type, name).urn),
                        `the invocation does not depend on ${type} ${name}`,
                    );
                }
                const apiDeps = d.dependencies.get(`${T.fn}::app-api`) ?? assert.fail("no API function registered");
                for (const [type, name] of [
                    [T.ingress, "db-allow-app-api"],
                    [T.egress, "app-api-to-db"],
                    [T.invocation, "app-migrate"],
                ] as const) {
                    assert.ok(
                        apiDeps.includes(one(d.resources, type, name).urn),
                        `the API function does not depend on ${type} ${name}`,
                    );
                }
            });

            it("reads the master secret for the migrations (no rds-db:connect); the API connects with IAM through the proxy", async () => {
                const migrate = policyOf(d.resources, "app-migrate");
                const read = migrate.Statement.find((s: any) => s.Sid === "ReadDatabaseSecrets");
                assert.deepStrictEqual(read.Resource, [await valueOf(d.db.masterSecretArn)]);
                assert.ok(!actions(migrate).includes("rds-db:connect"));
                const api = policyOf(d.resources, "app-api");
                const connect = api.Statement.find((s: any) => s.Sid === "ConnectWithIamToken");
                assert.match(
                    connect.Resource[0],
                    /^arn:aws:rds-db:eu-west-1:123456789012:dbuser:prx-[0-9a-f]+\/app_user$/,
                );
                assert.ok(!actions(api).includes("secretsmanager:GetSecretValue"));
            });
        });
    }

    describe("without a proxy (postgres, IAM auth)", () => {
        let d: Deployed;
        let sg: { db: RecordedResource; lambda: RecordedResource; api: RecordedResource };
        before(async () => {
            d = await deploy({ engine: "postgres", iamAuth: true, proxy: false });
            sg = {
                db: one(d.resources, T.sg, "db-sg"),
                lambda: one(d.resources, T.sg, "app-lambda"),
                api: one(d.resources, T.sg, "app-api"),
            };
        });

        it("connects both functions to the same host, the database's writer", async () => {
            const writer = await writerEndpoint(d.db);
            assert.strictEqual(d.db.connection.proxied, false);
            assert.strictEqual(await valueOf(d.db.connection.adminHost), await valueOf(d.db.connection.host));
            assert.strictEqual(
                await valueOf(d.db.connection.adminSecurityGroupId),
                await valueOf(d.db.connection.securityGroupId),
            );
            const migrateHost = env(one(d.resources, T.fn, "app-migrate")).DB_HOST;
            assert.strictEqual(migrateHost, env(one(d.resources, T.fn, "app-api")).DB_HOST);
            assert.strictEqual(migrateHost, writer);
        });

        it("declares one ingress rule per group (the admin path is the client path), and one 5432 egress each", () => {
            assert.deepStrictEqual(sourcesOf(d.resources, sg.db.id), [sg.api.id, sg.lambda.id].sort());
            const rulesFrom = (group: RecordedResource) =>
                ofType(d.resources, T.ingress)
                    .filter((r) => inputs(r).referencedSecurityGroupId === group.id)
                    .map((r) => r.name);
            // Without a proxy allowAdminFrom declares the rule exactly as allowFrom would.
            assert.deepStrictEqual(rulesFrom(sg.lambda), ["db-allow-app-lambda"]);
            assert.deepStrictEqual(rulesFrom(sg.api), ["db-allow-app-api"]);
            for (const group of [sg.lambda, sg.api]) {
                const pg = ofType(d.resources, T.egress).filter(
                    (r) => inputs(r).securityGroupId === group.id && inputs(r).fromPort === 5432,
                );
                assert.deepStrictEqual(
                    pg.map((r) => inputs(r).referencedSecurityGroupId),
                    [sg.db.id],
                );
            }
            assert.deepStrictEqual(
                d.calls.map((c) => c.method),
                ["allowAdminFrom", "allowFrom"],
            );
        });

        it("runs the migrations after their rule", () => {
            const deps = d.dependencies.get(`${T.invocation}::app-migrate`) ?? assert.fail("no invocation registered");
            assert.ok(deps.includes(one(d.resources, T.ingress, "db-allow-app-lambda").urn));
        });

        it("returns the allowAdminFrom rule from a later allowFrom with the same name, declaring nothing", async () => {
            const again = d.db.connection.allowFrom("app-lambda", d.service.migrationSecurityGroup.id);
            assert.strictEqual(again, d.calls[0].rule);
            const resources = await settle(d.mocks);
            assert.strictEqual(
                ofType(resources, T.ingress).filter((r) => inputs(r).referencedSecurityGroupId === sg.lambda.id).length,
                1,
            );
            assert.throws(
                () => d.db.connection.allowFrom("app-lambda", d.service.migrationSecurityGroup.id),
                /allowFrom: "app-lambda" is already admitted/,
            );
        });
    });
});
