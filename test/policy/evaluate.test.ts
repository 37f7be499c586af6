/**
 * `policy-pack/evaluate.ts`, the offline check through the pack's real analyzer: levels, `all`,
 * disabled, config defaults and validation (the engine's side), remediation, stack policies
 * following ids, input, speed.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { evaluate, PlannedResource, PolicyConfigError, Violation } from "../../policy-pack/evaluate";
import { T } from "../../policy-pack/lib/types";
import { HOSTILE_MANDATORY_VIOLATIONS, HOSTILE_URNS, hostileResources } from "../fixtures/hostile-resources";

const PACK = path.resolve(__dirname, "../../policy-pack");
const readConfig = (name: string) =>
    JSON.parse(fs.readFileSync(path.join(PACK, "config", name), "utf8")) as Record<string, unknown>;

const mandatory = (vs: Violation[]) => vs.filter((v) => v.enforcementLevel === "mandatory");
const pairs = (vs: Violation[]) => vs.map((v) => `${v.policy} ${v.resource ?? "(stack)"}`).sort();
const ofPolicy = (vs: Violation[], policy: string) => vs.filter((v) => v.policy === policy);

const publicDb: PlannedResource = {
    type: T.rdsInstance,
    name: "db",
    props: {
        publiclyAccessible: true,
        storageEncrypted: true,
        backupRetentionPeriod: 7,
        iamDatabaseAuthenticationEnabled: true,
    },
};
const lowBackups: PlannedResource = {
    type: T.rdsInstance,
    name: "db2",
    props: { storageEncrypted: true, backupRetentionPeriod: 6, iamDatabaseAuthenticationEnabled: true },
};
const imdsV1: PlannedResource = { type: T.ec2Instance, name: "vm", props: { ami: "ami-1", instanceType: "t4g.small" } };

describe("evaluate()", () => {
    describe("the hostile fixture", () => {
        it("reports exactly the intended mandatory violations, naming each policy and resource", async () => {
            const vs = await evaluate(hostileResources);
            assert.deepStrictEqual(
                pairs(mandatory(vs)),
                HOSTILE_MANDATORY_VIOLATIONS.map((v) => `${v.policy} ${v.resource}`).sort(),
            );
            const byPolicy = (p: string) => mandatory(vs).find((v) => v.policy === p)!.message;
            assert.strictEqual(
                byPolicy("rds-not-publicly-accessible"),
                "RDS Instance must not be publicly accessible.",
            );
            assert.ok(
                byPolicy("no-world-ingress-to-postgres").includes(
                    'ingress[0] allows protocol "tcp", port 5432 from 0.0.0.0/0',
                ),
            );
            assert.ok(byPolicy("db-subnet-group-not-public").includes('subnet "public-a" (subnet-0public0a)'));
        });
        it("has no mandatory violation once fixed (no false positives on a compliant stack)", async () => {
            const fixed = hostileResources.map((r) => {
                switch (r.urn) {
                    case HOSTILE_URNS.dbInstance:
                        return { ...r, props: { ...r.props, publiclyAccessible: false } };
                    case HOSTILE_URNS.dbSecurityGroup:
                        return {
                            ...r,
                            props: {
                                ...r.props,
                                ingress: [
                                    { protocol: "tcp", fromPort: 5432, toPort: 5432, securityGroups: ["sg-app"] },
                                ],
                            },
                        };
                    case HOSTILE_URNS.dbSubnetGroup:
                        return { ...r, props: { subnetIds: ["subnet-0isolat0b"] } };
                    default:
                        return r;
                }
            });
            assert.deepStrictEqual(mandatory(await evaluate(fixed)), []);
        });
        it("still does with the prod config, plus deletion protection", async () => {
            const vs = await evaluate(hostileResources, readConfig("prod.json"));
            assert.deepStrictEqual(
                pairs(mandatory(vs)),
                [
                    ...HOSTILE_MANDATORY_VIOLATIONS.map((v) => `${v.policy} ${v.resource}`),
                    `rds-deletion-protection ${HOSTILE_URNS.dbInstance}`,
                ].sort(),
            );
        });
    });

    describe("enforcement levels", () => {
        it("keeps each policy's own level", async () => {
            const vs = await evaluate([publicDb, lowBackups]);
            assert.deepStrictEqual(
                vs.map((v) => [v.policy, v.enforcementLevel]),
                [
                    ["rds-not-publicly-accessible", "mandatory"],
                    ["rds-backup-retention", "advisory"],
                ],
            );
        });
        it('"all" overrides every level', async () => {
            const vs = await evaluate([publicDb, lowBackups], { all: "advisory" });
            assert.deepStrictEqual(
                vs.map((v) => v.enforcementLevel),
                ["advisory", "advisory"],
            );
            const all = await evaluate([publicDb, lowBackups], { all: { enforcementLevel: "mandatory" } });
            assert.deepStrictEqual(
                all.map((v) => v.enforcementLevel),
                ["mandatory", "mandatory"],
            );
        });
        it('a policy\'s own entry beats "all", wherever it appears', async () => {
            for (const config of [
                { all: "advisory", "rds-not-publicly-accessible": "mandatory" },
                { "rds-not-publicly-accessible": { enforcementLevel: "mandatory" }, all: "advisory" },
            ]) {
                const vs = await evaluate([publicDb, lowBackups], config);
                assert.deepStrictEqual(
                    vs.map((v) => [v.policy, v.enforcementLevel]),
                    [
                        ["rds-not-publicly-accessible", "mandatory"],
                        ["rds-backup-retention", "advisory"],
                    ],
                );
            }
        });
        it("disabled policies do not run (resource and stack)", async () => {
            assert.deepStrictEqual(
                ofPolicy(
                    await evaluate([publicDb], { "rds-not-publicly-accessible": "disabled" }),
                    "rds-not-publicly-accessible",
                ),
                [],
            );
            const vs = await evaluate(hostileResources, {
                "db-subnet-group-not-public": { enforcementLevel: "disabled" },
            });
            assert.deepStrictEqual(ofPolicy(vs, "db-subnet-group-not-public"), []);
            assert.deepStrictEqual(await evaluate(hostileResources, { all: "disabled" }), []);
        });
        it("remediate on a policy without a remediation reports mandatory (as the analyzer does)", async () => {
            const vs = await evaluate([publicDb], { "rds-not-publicly-accessible": "remediate" });
            assert.strictEqual(ofPolicy(vs, "rds-not-publicly-accessible")[0].enforcementLevel, "mandatory");
        });
        it("remediate on a stack policy reports mandatory", async () => {
            const vs = await evaluate(hostileResources, { "db-subnet-group-not-public": "remediate" });
            assert.strictEqual(ofPolicy(vs, "db-subnet-group-not-public")[0].enforcementLevel, "mandatory");
        });
    });

    describe("remediation", () => {
        it('reports what the engine would fix with level remediate and the "would remediate" prefix', async () => {
            const vs = await evaluate([imdsV1]);
            assert.deepStrictEqual(vs, [
                {
                    policy: "ec2-imdsv2-required",
                    enforcementLevel: "remediate",
                    resource: "urn:pulumi:offline::private-app::aws:ec2/instance:Instance::vm",
                    message:
                        'would remediate: EC2 instances and launch templates must require IMDSv2 (metadataOptions.httpTokens = "required"). (sets metadataOptions)',
                },
            ]);
            assert.strictEqual(mandatory(vs).length, 0);
        });
        it("reports a violation instead when the policy is set to mandatory or advisory", async () => {
            assert.deepStrictEqual(
                (await evaluate([imdsV1], { "ec2-imdsv2-required": "mandatory" })).map((v) => v.enforcementLevel),
                ["mandatory"],
            );
            assert.deepStrictEqual(
                (await evaluate([imdsV1], { "ec2-imdsv2-required": "advisory" })).map((v) => v.enforcementLevel),
                ["advisory"],
            );
        });
    });

    describe("config", () => {
        it("applies schema defaults (minDays 7) and merges given properties over them", async () => {
            assert.strictEqual(ofPolicy(await evaluate([lowBackups]), "rds-backup-retention").length, 1);
            assert.strictEqual(
                ofPolicy(
                    await evaluate([lowBackups], { "rds-backup-retention": { minDays: 3 } }),
                    "rds-backup-retention",
                ).length,
                0,
            );
            const vs = await evaluate([lowBackups], {
                "rds-backup-retention": { enforcementLevel: "mandatory", minDays: 30 },
            });
            assert.deepStrictEqual(
                ofPolicy(vs, "rds-backup-retention").map((v) => [
                    v.enforcementLevel,
                    v.message.includes("at least 30 days"),
                ]),
                [["mandatory", true]],
            );
        });
        it("accepts the committed dev and prod configs; prod requires deletion protection, dev does not", async () => {
            const unprotected: PlannedResource = {
                type: T.rdsInstance,
                name: "db",
                props: { storageEncrypted: true, backupRetentionPeriod: 7, iamDatabaseAuthenticationEnabled: true },
            };
            assert.deepStrictEqual(
                ofPolicy(await evaluate([unprotected], readConfig("dev.json")), "rds-deletion-protection"),
                [],
            );
            const prod = ofPolicy(await evaluate([unprotected], readConfig("prod.json")), "rds-deletion-protection");
            assert.deepStrictEqual(
                prod.map((v) => v.enforcementLevel),
                ["mandatory"],
            );
        });

        // As the Pulumi CLI (pkg/resource/analyzer/config.go): a level for a policy the pack does
        // not have, and a property a policy's schema does not declare, are accepted and ignored.
        for (const [what, config] of [
            ["a level for an unknown policy", { "rds-not-public": "mandatory" }],
            ["an undeclared property", { "rds-backup-retention": { minDay: 3 } }],
            ["a property on a policy without config", { "rds-not-publicly-accessible": { ports: [1] } }],
        ] as const) {
            it(`accepts ${what}, as the CLI does`, async () => {
                await evaluate([publicDb], config as Record<string, unknown>);
            });
        }

        const LEVELS = /is not a valid enforcement level \(advisory, mandatory, remediate, disabled\)/;
        const invalid: [string, unknown, RegExp][] = [
            [
                "properties for an unknown policy",
                { "rds-not-public": { x: 1 } },
                /rds-not-public: no such policy in this pack/,
            ],
            ["an invalid level", { "rds-not-publicly-accessible": "block" }, LEVELS],
            [
                "an invalid level in an object",
                { "rds-backup-retention": { enforcementLevel: "warn" } },
                /rds-backup-retention\.enforcementLevel: "warn" is not a valid enforcement level/,
            ],
            ['an invalid "all"', { all: "everything" }, /all: "everything" is not a valid enforcement level/],
            [
                "a value of the wrong type",
                { "rds-backup-retention": { minDays: "7" } },
                /rds-backup-retention\.minDays: must be integer \(got "7"\)/,
            ],
            [
                "a value out of range",
                { "rds-backup-retention": { minDays: 0 } },
                /rds-backup-retention\.minDays: must be >= 1 \(got 0\)/,
            ],
            [
                "a bad port",
                { "no-world-ingress-to-postgres": { ports: [5432, 70000] } },
                /no-world-ingress-to-postgres\.ports\[1\]: must be <= 65535 \(got 70000\)/,
            ],
            [
                "a bad value for a disabled policy",
                { "rds-backup-retention": { enforcementLevel: "disabled", minDays: 99 } },
                /minDays: must be <= 35/,
            ],
            ["a config that is not an object", ["mandatory"], /the policy pack config must be an object/],
            [
                "an entry that is neither a level nor an object",
                { "rds-backup-retention": 7 },
                /rds-backup-retention: 7 is not a valid value; must be an enforcement level or an object/,
            ],
        ];
        for (const [what, config, message] of invalid) {
            it(`rejects ${what} with a clear error`, async () => {
                await assert.rejects(evaluate([publicDb], config as Record<string, unknown>), (e: unknown) => {
                    assert.ok(e instanceof PolicyConfigError, String(e));
                    assert.match((e as Error).message, /^Invalid policy pack config:\n - /);
                    assert.match((e as Error).message, message);
                    return true;
                });
            });
        }
        it("lists every problem at once", async () => {
            await assert.rejects(
                evaluate([], { nope: { x: 1 }, "rds-backup-retention": { minDays: -1 }, all: "x" }),
                (e: unknown) => {
                    assert.strictEqual((e as PolicyConfigError).problems.length, 3, String(e));
                    return true;
                },
            );
        });
    });

    describe("stack policies", () => {
        const subnet = (id: string | null, publicIp: boolean): PlannedResource => ({
            type: T.subnet,
            name: `subnet-${id}`,
            id,
            props: { vpcId: "vpc-1", mapPublicIpOnLaunch: publicIp },
        });
        const group = (subnetIds: unknown[]): PlannedResource => ({
            type: T.rdsSubnetGroup,
            name: "db",
            id: "db",
            props: { subnetIds },
        });

        it("resolve subnet ids in a DB subnet group through the planned resources' id", async () => {
            const vs = ofPolicy(
                await evaluate([subnet("subnet-1", true), subnet("subnet-2", false), group(["subnet-1", "subnet-2"])]),
                "db-subnet-group-not-public",
            );
            assert.deepStrictEqual(
                vs.map((v) => [v.resource, v.enforcementLevel]),
                [["urn:pulumi:offline::private-app::aws:rds/subnetGroup:SubnetGroup::db", "mandatory"]],
            );
            assert.ok(vs[0].message.includes('subnet "subnet-subnet-1" (subnet-1) maps public IPs on launch'));
        });
        it("skip references they cannot follow (foreign subnets); say so, as advisory, when ids are not known", async () => {
            const foreign = await evaluate([subnet("subnet-1", true), group(["subnet-elsewhere"])]);
            assert.deepStrictEqual(ofPolicy(foreign, "db-subnet-group-not-public"), []);
            const unknown = await evaluate([subnet(null, true), group([null, "subnet-elsewhere"])]);
            assert.deepStrictEqual(
                ofPolicy(unknown, "db-subnet-group-not-public").map((v) => v.enforcementLevel),
                ["advisory"],
            );
        });
        it("prefer an id already present in the outputs", async () => {
            const withOutputId: PlannedResource = {
                type: T.subnet,
                name: "s",
                id: "mock-id",
                props: { id: "subnet-9", mapPublicIpOnLaunch: true },
            };
            assert.strictEqual(
                ofPolicy(await evaluate([withOutputId, group(["subnet-9"])]), "db-subnet-group-not-public").length,
                1,
            );
        });
    });

    describe("resource policies", () => {});

    describe("compatibility with the @pulumi/policy helpers", () => {});

    describe("input", () => {
        it("rejects malformed resources with the index", async () => {
            await assert.rejects(
                evaluate([{ type: "t", name: "n" } as unknown as PlannedResource]),
                /resources\[0\] must have/,
            );
            await assert.rejects(evaluate("x" as unknown as PlannedResource[]), /must be an array/);
        });
        it("returns violations with exactly the contract's fields", async () => {
            for (const v of await evaluate(hostileResources)) {
                assert.deepStrictEqual(Object.keys(v), ["policy", "enforcementLevel", "resource", "message"]);
            }
        });
        it("does not modify the planned resources", async () => {
            const copy = JSON.parse(JSON.stringify(hostileResources));
            await evaluate(hostileResources, { "ec2-imdsv2-required": "remediate" });
            assert.deepStrictEqual(JSON.parse(JSON.stringify(hostileResources)), copy);
        });
    });

    describe("speed", () => {
        it("evaluates 1,000 resources through the analyzer in well under 5 s (2 shared cores)", async () => {
            const resources: PlannedResource[] = [];
            for (let i = 0; i < 1000; i++) {
                switch (i % 10) {
                    case 0:
                        resources.push({
                            type: T.subnet,
                            name: `s${i}`,
                            id: `subnet-${i}`,
                            props: { vpcId: "vpc-1", mapPublicIpOnLaunch: i % 20 === 0 },
                        });
                        break;
                    case 1:
                        resources.push({
                            type: T.routeTableAssociation,
                            name: `a${i}`,
                            id: `a-${i}`,
                            props: { subnetId: `subnet-${i - 1}`, routeTableId: "rtb-pub" },
                        });
                        break;
                    case 2:
                        resources.push({
                            type: T.securityGroup,
                            name: `sg${i}`,
                            id: `sg-${i}`,
                            props: {
                                ingress: [
                                    {
                                        protocol: "tcp",
                                        fromPort: 5432,
                                        toPort: 5432,
                                        cidrBlocks: ["10.0.0.0/16", "0.0.0.0/0"],
                                        ipv6CidrBlocks: ["::/0"],
                                    },
                                ],
                                egress: [{ protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"] }],
                            },
                        });
                        break;
                    case 3:
                        resources.push({
                            type: T.rdsInstance,
                            name: `db${i}`,
                            id: `db-${i}`,
                            props: { publiclyAccessible: i % 2 === 0, storageEncrypted: true },
                        });
                        break;
                    case 4:
                        resources.push({
                            type: T.rdsSubnetGroup,
                            name: `g${i}`,
                            id: `g-${i}`,
                            props: { subnetIds: [`subnet-${i - 4}`, `subnet-${i - 14}`] },
                        });
                        break;
                    case 5:
                        resources.push({
                            type: T.lambdaFunction,
                            name: `f${i}`,
                            id: `f-${i}`,
                            props: {
                                environment: {
                                    variables: {
                                        DB_PASSWORD: "x",
                                        DB_SECRET_ARN: "arn:aws:secretsmanager:r:1:secret:x",
                                    },
                                },
                            },
                        });
                        break;
                    case 6:
                        resources.push({
                            type: T.ecsTaskDefinition,
                            name: `t${i}`,
                            id: `t-${i}`,
                            props: {
                                containerDefinitions: JSON.stringify([
                                    { name: "app", environment: [{ name: "API_KEY", value: "k" }] },
                                ]),
                            },
                        });
                        break;
                    case 7:
                        resources.push({
                            type: T.launchTemplate,
                            name: `lt${i}`,
                            id: `lt-${i}`,
                            props: { networkInterfaces: [{ associatePublicIpAddress: "true" }] },
                        });
                        break;
                    case 8:
                        resources.push({
                            type: T.route,
                            name: `r${i}`,
                            id: `r-${i}`,
                            props: { routeTableId: "rtb-pub", destinationCidrBlock: "0.0.0.0/0", gatewayId: "igw-1" },
                        });
                        break;
                    default:
                        resources.push({ type: "private-app:network:Network", name: `c${i}`, id: null, props: {} });
                }
            }
            await evaluate(resources.slice(0, 50)); // warm up
            const start = process.hrtime.bigint();
            const vs = await evaluate(resources, readConfig("prod.json"));
            const ms = Number(process.hrtime.bigint() - start) / 1e6;
            console.log(`      evaluate(1,000 resources): ${ms.toFixed(1)} ms, ${vs.length} violations`);
            assert.ok(vs.length > 1000);
            assert.ok(ms < 5000, `took ${ms} ms`);
        });
    });
});
