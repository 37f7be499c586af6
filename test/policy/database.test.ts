/**
 * Database policies: a passing fixture per policy, then one change per failing case.
 */
import * as assert from "assert";
import {
    dbSubnetGroupNotPublic,
    rdsBackupRetention,
    rdsDeletionProtection,
    rdsIamAuthentication,
    rdsNotPubliclyAccessible,
    rdsStorageEncrypted,
} from "../../policy-pack/policies/database";
import { T } from "../../policy-pack/lib/types";
import {
    assertNotApplicable,
    assertOneViolation,
    assertPasses,
    runResourcePolicy,
    runStackPolicy,
    StackResource,
    urnOf,
    withChange,
} from "./util";

/** An RDS PostgreSQL instance as this project declares it in production. */
const goodInstance = {
    engine: "postgres",
    engineVersion: "16.4",
    instanceClass: "db.t4g.medium",
    allocatedStorage: 20,
    dbSubnetGroupName: "db-subnets",
    vpcSecurityGroupIds: ["sg-db"],
    publiclyAccessible: false,
    storageEncrypted: true,
    backupRetentionPeriod: 7,
    deletionProtection: true,
    skipFinalSnapshot: false,
    finalSnapshotIdentifier: "db-final",
    iamDatabaseAuthenticationEnabled: true,
    manageMasterUserPassword: true,
};

/** An Aurora PostgreSQL cluster as this project declares it in production. */
const goodCluster = {
    engine: "aurora-postgresql",
    engineMode: "provisioned",
    dbSubnetGroupName: "db-subnets",
    storageEncrypted: true,
    backupRetentionPeriod: 14,
    deletionProtection: true,
    skipFinalSnapshot: false,
    iamDatabaseAuthenticationEnabled: true,
};

const goodClusterInstance = {
    clusterIdentifier: "cluster",
    instanceClass: "db.r6g.large",
    engine: "aurora-postgresql",
    publiclyAccessible: false,
};

describe("database policies", () => {
    describe("rds-not-publicly-accessible", () => {
        const p = rdsNotPubliclyAccessible;
        it("is mandatory", () => assert.strictEqual(p.enforcementLevel, "mandatory"));
        it("passes a private instance, an unset flag (default false), and an unknown one", async () => {
            assertPasses(await runResourcePolicy(p, T.rdsInstance, goodInstance));
            assertPasses(
                await runResourcePolicy(p, T.rdsInstance, withChange(goodInstance, "publiclyAccessible", undefined)),
            );
            assertPasses(
                await runResourcePolicy(p, T.rdsInstance, withChange(goodInstance, "publiclyAccessible", null)),
            );
            assertPasses(await runResourcePolicy(p, T.rdsClusterInstance, goodClusterInstance));
        });
        it("flags a publicly accessible RDS instance", async () => {
            const out = await runResourcePolicy(p, T.rdsInstance, withChange(goodInstance, "publiclyAccessible", true));
            assert.strictEqual(assertOneViolation(out), "RDS Instance must not be publicly accessible.");
        });
        it("flags a publicly accessible Aurora cluster instance", async () => {
            const out = await runResourcePolicy(
                p,
                T.rdsClusterInstance,
                withChange(goodClusterInstance, "publiclyAccessible", true),
            );
            assert.strictEqual(assertOneViolation(out), "RDS Cluster Instance must not be publicly accessible.");
        });
        it("does not apply to other types", async () => {
            assertNotApplicable(await runResourcePolicy(p, T.rdsCluster, { publiclyAccessible: true }));
        });
    });

    describe("rds-storage-encrypted", () => {
        const p = rdsStorageEncrypted;
        it("passes encrypted instances and clusters", async () => {
            assertPasses(await runResourcePolicy(p, T.rdsInstance, goodInstance));
            assertPasses(await runResourcePolicy(p, T.rdsCluster, goodCluster));
        });
        it("flags storageEncrypted: false", async () => {
            assertOneViolation(
                await runResourcePolicy(p, T.rdsInstance, withChange(goodInstance, "storageEncrypted", false)),
                "RDS Instance must have storage encryption enabled (storageEncrypted: false).",
            );
            assertOneViolation(
                await runResourcePolicy(p, T.rdsCluster, withChange(goodCluster, "storageEncrypted", false)),
                "RDS Cluster must",
            );
        });
        it("flags an unset flag, whose default is false", async () => {
            assertOneViolation(
                await runResourcePolicy(p, T.rdsInstance, withChange(goodInstance, "storageEncrypted", undefined)),
                "not set; the default is false",
            );
            assertOneViolation(
                await runResourcePolicy(p, T.rdsCluster, withChange(goodCluster, "storageEncrypted", undefined)),
                "not set",
            );
        });
        it("passes an unset flag where the default is encrypted or inherited", async () => {
            const serverlessV1 = withChange(
                withChange(goodCluster, "storageEncrypted", undefined),
                "engineMode",
                "serverless",
            );
            assertPasses(await runResourcePolicy(p, T.rdsCluster, serverlessV1));
            const restored = { ...withChange(goodInstance, "storageEncrypted", undefined), snapshotIdentifier: "snap" };
            assertPasses(await runResourcePolicy(p, T.rdsInstance, restored));
            assertNotApplicable(
                await runResourcePolicy(p, T.rdsInstance, {
                    ...withChange(goodInstance, "storageEncrypted", undefined),
                    replicateSourceDb: "primary",
                }),
                "read replica",
            );
        });
        it("never flags an unknown value", async () => {
            assertPasses(await runResourcePolicy(p, T.rdsInstance, withChange(goodInstance, "storageEncrypted", null)));
            assertPasses(
                await runResourcePolicy(
                    p,
                    T.rdsCluster,
                    withChange(withChange(goodCluster, "storageEncrypted", undefined), "engineMode", null),
                ),
            );
        });
        it("requires a customer-managed key only when configured", async () => {
            assertPasses(await runResourcePolicy(p, T.rdsInstance, goodInstance));
            assertOneViolation(
                await runResourcePolicy(p, T.rdsInstance, goodInstance, {
                    config: { requireCustomerManagedKey: true },
                }),
                "customer-managed KMS key",
            );
            assertPasses(
                await runResourcePolicy(
                    p,
                    T.rdsInstance,
                    { ...goodInstance, kmsKeyId: "arn:aws:kms:eu-west-1:1:key/x" },
                    { config: { requireCustomerManagedKey: true } },
                ),
            );
        });
    });

    describe("rds-backup-retention", () => {
        const p = rdsBackupRetention;
        it("is advisory with a default minimum of 7 days", () => assert.strictEqual(p.enforcementLevel, "advisory"));
        it("passes 7 days and more", async () => {
            assertPasses(await runResourcePolicy(p, T.rdsInstance, goodInstance));
            assertPasses(await runResourcePolicy(p, T.rdsCluster, goodCluster));
        });
        it("flags fewer days than the minimum", async () => {
            assertOneViolation(
                await runResourcePolicy(p, T.rdsInstance, withChange(goodInstance, "backupRetentionPeriod", 6)),
                "RDS Instance must keep automated backups for at least 7 days (backupRetentionPeriod is 6).",
            );
            assertOneViolation(
                await runResourcePolicy(p, T.rdsCluster, withChange(goodCluster, "backupRetentionPeriod", 1)),
                "RDS Cluster must keep",
            );
        });
        it("flags an unset period using the provider defaults (0 for instances, 1 for clusters)", async () => {
            assertOneViolation(
                await runResourcePolicy(p, T.rdsInstance, withChange(goodInstance, "backupRetentionPeriod", undefined)),
                "not set; the default is 0",
            );
            assertOneViolation(
                await runResourcePolicy(p, T.rdsCluster, withChange(goodCluster, "backupRetentionPeriod", undefined)),
                "not set; the default is 1",
            );
        });
        it("honours minDays", async () => {
            assertPasses(
                await runResourcePolicy(p, T.rdsInstance, withChange(goodInstance, "backupRetentionPeriod", 1), {
                    config: { minDays: 1 },
                }),
            );
            assertOneViolation(
                await runResourcePolicy(p, T.rdsInstance, goodInstance, { config: { minDays: 14 } }),
                "at least 14 days",
            );
        });
        it("skips unknown periods and read replicas", async () => {
            assertPasses(
                await runResourcePolicy(p, T.rdsInstance, withChange(goodInstance, "backupRetentionPeriod", null)),
            );
            assertNotApplicable(
                await runResourcePolicy(p, T.rdsInstance, {
                    ...withChange(goodInstance, "backupRetentionPeriod", 0),
                    replicateSourceDb: "primary",
                }),
            );
        });
    });

    describe("rds-deletion-protection", () => {
        const p = rdsDeletionProtection;
        const required = { config: { requireDeletionProtection: true } };
        it("does not apply by default (dev)", async () => {
            assertNotApplicable(
                await runResourcePolicy(p, T.rdsInstance, withChange(goodInstance, "deletionProtection", false)),
                "requireDeletionProtection",
            );
        });
        it("passes a protected instance and cluster when required", async () => {
            assertPasses(await runResourcePolicy(p, T.rdsInstance, goodInstance, required));
            assertPasses(await runResourcePolicy(p, T.rdsCluster, goodCluster, required));
        });
        it("flags deletionProtection false or unset when required", async () => {
            assertOneViolation(
                await runResourcePolicy(
                    p,
                    T.rdsInstance,
                    withChange(goodInstance, "deletionProtection", false),
                    required,
                ),
                "RDS Instance must have deletion protection enabled in production (deletionProtection is false).",
            );
            assertOneViolation(
                await runResourcePolicy(
                    p,
                    T.rdsCluster,
                    withChange(goodCluster, "deletionProtection", undefined),
                    required,
                ),
                "is not set",
            );
        });
        it("flags skipFinalSnapshot: true when required", async () => {
            assertOneViolation(
                await runResourcePolicy(p, T.rdsCluster, withChange(goodCluster, "skipFinalSnapshot", true), required),
                "RDS Cluster must keep a final snapshot in production (skipFinalSnapshot: true).",
            );
        });
        it("applies when a stack tag marks production (case-insensitive), whatever the flag", async () => {
            const bad = withChange(goodInstance, "deletionProtection", false);
            assertOneViolation(
                await runResourcePolicy(p, T.rdsInstance, bad, { stackTags: { environment: "Production" } }),
                "deletion protection",
            );
            assertNotApplicable(
                await runResourcePolicy(p, T.rdsInstance, bad, { stackTags: { environment: "staging" } }),
            );
            assertOneViolation(
                await runResourcePolicy(p, T.rdsInstance, bad, {
                    stackTags: { stage: "live" },
                    config: { productionTagKey: "stage", productionTagValues: ["live"] },
                }),
                "deletion protection",
            );
        });
        it("does not flag an unknown flag", async () => {
            assertPasses(
                await runResourcePolicy(
                    p,
                    T.rdsInstance,
                    withChange(goodInstance, "deletionProtection", null),
                    required,
                ),
            );
        });
    });

    describe("rds-iam-authentication", () => {
        const p = rdsIamAuthentication;
        it("passes when enabled", async () => {
            assertPasses(await runResourcePolicy(p, T.rdsInstance, goodInstance));
            assertPasses(await runResourcePolicy(p, T.rdsCluster, goodCluster));
        });
        it("flags disabled or unset", async () => {
            assertOneViolation(
                await runResourcePolicy(
                    p,
                    T.rdsInstance,
                    withChange(goodInstance, "iamDatabaseAuthenticationEnabled", false),
                ),
                "RDS Instance must enable IAM database authentication (iamDatabaseAuthenticationEnabled is false).",
            );
            assertOneViolation(
                await runResourcePolicy(
                    p,
                    T.rdsCluster,
                    withChange(goodCluster, "iamDatabaseAuthenticationEnabled", undefined),
                ),
                "not set",
            );
        });
        it("does not apply where IAM auth is unavailable", async () => {
            assertNotApplicable(
                await runResourcePolicy(p, T.rdsInstance, {
                    ...goodInstance,
                    engine: "sqlserver-ex",
                    iamDatabaseAuthenticationEnabled: false,
                }),
            );
            assertNotApplicable(
                await runResourcePolicy(p, T.rdsCluster, {
                    ...goodCluster,
                    engineMode: "serverless",
                    iamDatabaseAuthenticationEnabled: false,
                }),
            );
        });
        it("does not flag an unknown flag", async () => {
            assertPasses(
                await runResourcePolicy(
                    p,
                    T.rdsInstance,
                    withChange(goodInstance, "iamDatabaseAuthenticationEnabled", null),
                ),
            );
        });
    });

    describe("db-subnet-group-not-public (stack)", () => {
        const p = dbSubnetGroupNotPublic;
        const groupUrn = urnOf(T.rdsSubnetGroup, "db-subnets");

        /** A VPC with a public tier (IGW route) and an isolated tier used by the DB subnet group. */
        function network(): StackResource[] {
            return [
                {
                    type: T.vpc,
                    name: "vpc",
                    id: "vpc-1",
                    props: { cidrBlock: "10.0.0.0/16", defaultRouteTableId: "rtb-main" },
                },
                { type: T.internetGateway, name: "igw", id: "igw-0a1", props: { vpcId: "vpc-1" } },
                {
                    type: T.subnet,
                    name: "public-a",
                    id: "subnet-pa",
                    props: { vpcId: "vpc-1", cidrBlock: "10.0.0.0/24", mapPublicIpOnLaunch: true },
                },
                {
                    type: T.subnet,
                    name: "isolated-a",
                    id: "subnet-ia",
                    props: { vpcId: "vpc-1", cidrBlock: "10.0.10.0/24", mapPublicIpOnLaunch: false },
                },
                {
                    type: T.subnet,
                    name: "isolated-b",
                    id: "subnet-ib",
                    props: { vpcId: "vpc-1", cidrBlock: "10.0.11.0/24" },
                },
                { type: T.routeTable, name: "public-rt", id: "rtb-pub", props: { vpcId: "vpc-1" } },
                {
                    type: T.route,
                    name: "public-default",
                    id: "r-1",
                    props: { routeTableId: "rtb-pub", destinationCidrBlock: "0.0.0.0/0", gatewayId: "igw-0a1" },
                },
                {
                    type: T.routeTableAssociation,
                    name: "public-a",
                    id: "rtbassoc-1",
                    props: { subnetId: "subnet-pa", routeTableId: "rtb-pub" },
                },
                { type: T.routeTable, name: "isolated-rt", id: "rtb-iso", props: { vpcId: "vpc-1", routes: [] } },
                {
                    type: T.routeTableAssociation,
                    name: "isolated-a",
                    id: "rtbassoc-2",
                    props: { subnetId: "subnet-ia", routeTableId: "rtb-iso" },
                },
                {
                    type: T.routeTableAssociation,
                    name: "isolated-b",
                    id: "rtbassoc-3",
                    props: { subnetId: "subnet-ib", routeTableId: "rtb-iso" },
                },
                {
                    type: T.rdsSubnetGroup,
                    name: "db-subnets",
                    id: "db-subnets",
                    props: { subnetIds: ["subnet-ia", "subnet-ib"] },
                },
            ];
        }
        const change = (
            resources: StackResource[],
            name: string,
            type: string,
            f: (props: Record<string, unknown>) => Record<string, unknown>,
        ) => resources.map((r) => (r.name === name && r.type === type ? { ...r, props: f({ ...r.props }) } : r));

        it("is mandatory", () => assert.strictEqual(p.enforcementLevel, "mandatory"));

        it("passes a group of isolated subnets", async () => {
            const out = await runStackPolicy(p, network());
            assert.deepStrictEqual(out, { violations: [] });
        });

        it("flags a subnet that maps public IPs on launch", async () => {
            const resources = change(network(), "isolated-b", T.subnet, (props) => ({
                ...props,
                mapPublicIpOnLaunch: true,
            }));
            const out = await runStackPolicy(p, resources);
            assert.strictEqual(out.violations.length, 1);
            assert.strictEqual(out.violations[0].urn, groupUrn);
            assert.strictEqual(
                out.violations[0].message,
                'DB Subnet Group must contain only private subnets: subnet "isolated-b" (subnet-ib) maps public IPs on launch (mapPublicIpOnLaunch: true). ' +
                    "Replace it with an isolated subnet (mapPublicIpOnLaunch false, no route to an internet gateway).",
            );
        });

        it("flags a subnet associated with a route table that has a Route to an internet gateway", async () => {
            const resources = change(network(), "db-subnets", T.rdsSubnetGroup, () => ({
                subnetIds: ["subnet-ia", "subnet-pa"],
            }));
            const out = await runStackPolicy(p, resources);
            assert.strictEqual(out.violations.length, 1);
            const m = out.violations[0].message;
            assert.ok(m.includes('subnet "public-a" (subnet-pa) maps public IPs on launch'), m);
            assert.ok(
                m.includes(
                    'is associated with route table "public-rt" (rtb-pub), which routes 0.0.0.0/0 to internet gateway "igw" (igw-0a1)',
                ),
                m,
            );
        });

        it("flags an inline route to an internet gateway (matched by the IGW resource's id, not its prefix)", async () => {
            let resources = change(network(), "isolated-rt", T.routeTable, (props) => ({
                ...props,
                routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: "gw-from-mocks" }],
            }));
            resources = resources.map((r) => (r.type === T.internetGateway ? { ...r, id: "gw-from-mocks" } : r));
            const out = await runStackPolicy(p, resources);
            assert.strictEqual(out.violations.length, 2, JSON.stringify(out));
            assert.ok(
                out.violations[0].message.includes(
                    'route table "isolated-rt" (rtb-iso), which routes 0.0.0.0/0 to internet gateway "igw" (gw-from-mocks)',
                ),
            );
        });

        it("flags an igw- id that names no resource of the stack (an existing gateway)", async () => {
            const resources = change(network(), "isolated-rt", T.routeTable, (props) => ({
                ...props,
                routes: [{ ipv6CidrBlock: "::/0", gatewayId: "igw-existing" }],
            }));
            const out = await runStackPolicy(p, resources);
            assert.strictEqual(out.violations.length, 2);
            assert.ok(out.violations[0].message.includes("routes ::/0 to internet gateway igw-existing"));
        });

        it("does not flag routes to a NAT gateway, a VPC endpoint or a virtual private gateway", async () => {
            const resources = change(network(), "isolated-rt", T.routeTable, (props) => ({
                ...props,
                routes: [
                    { cidrBlock: "0.0.0.0/0", natGatewayId: "nat-1" },
                    { cidrBlock: "192.168.0.0/16", gatewayId: "vgw-1" },
                    { destinationPrefixListId: "pl-s3", vpcEndpointId: "vpce-1" },
                ],
            }));
            assert.deepStrictEqual((await runStackPolicy(p, resources)).violations, []);
        });

        it("flags a subnet without association when the VPC's main route table reaches the internet", async () => {
            const resources = network()
                .filter((r) => !(r.type === T.routeTableAssociation && r.name === "isolated-b"))
                .concat([
                    {
                        type: T.route,
                        name: "main-default",
                        id: "r-2",
                        props: { routeTableId: "rtb-main", destinationCidrBlock: "0.0.0.0/0", gatewayId: "igw-0a1" },
                    },
                ]);
            const out = await runStackPolicy(p, resources);
            assert.strictEqual(out.violations.length, 1);
            assert.ok(
                out.violations[0].message.includes(
                    'subnet "isolated-b" (subnet-ib) has no route table association, so it uses its VPC\'s main route table rtb-main',
                ),
                out.violations[0].message,
            );
        });

        it("follows a MainRouteTableAssociation", async () => {
            const resources = network()
                .filter((r) => !(r.type === T.routeTableAssociation && r.name === "isolated-b"))
                .concat([
                    {
                        type: T.mainRouteTableAssociation,
                        name: "main",
                        id: "m-1",
                        props: { vpcId: "vpc-1", routeTableId: "rtb-pub" },
                    },
                ]);
            const out = await runStackPolicy(p, resources);
            assert.strictEqual(out.violations.length, 1);
            assert.ok(out.violations[0].message.includes('main route table "public-rt" (rtb-pub)'));
        });

        // Review (adversarial): outputs-shaped props (the engine passes outputs to stack policies).
        const withoutAssociation = (name: string) => (rs: StackResource[]) =>
            rs.filter((r) => !(r.type === T.routeTableAssociation && r.name === name));
        const vpcProps = (rs: StackResource[], props: Record<string, unknown>) =>
            rs.map((r) => (r.type === T.vpc ? { ...r, props: { cidrBlock: "10.0.0.0/16", ...props } } : r));

        it("follows the VPC's mainRouteTableId output for a subnet without association", async () => {
            const resources = vpcProps(withoutAssociation("isolated-b")(network()), {
                mainRouteTableId: "rtb-m2",
            }).concat([
                {
                    type: T.route,
                    name: "main-default",
                    id: "r-2",
                    props: { routeTableId: "rtb-m2", destinationCidrBlock: "0.0.0.0/0", gatewayId: "igw-0a1" },
                },
            ]);
            const out = await runStackPolicy(p, resources);
            assert.strictEqual(out.violations.length, 1, JSON.stringify(out));
            assert.ok(
                out.violations[0].message.includes(
                    'uses its VPC\'s main route table rtb-m2, which routes 0.0.0.0/0 to internet gateway "igw" (igw-0a1)',
                ),
                out.violations[0].message,
            );
        });

        it("prefers a MainRouteTableAssociation over the VPC's mainRouteTableId output", async () => {
            const resources = vpcProps(withoutAssociation("isolated-b")(network()), {
                mainRouteTableId: "rtb-pub",
                defaultRouteTableId: "rtb-pub",
            }).concat([
                {
                    type: T.mainRouteTableAssociation,
                    name: "main",
                    id: "m-1",
                    props: { vpcId: "vpc-1", routeTableId: "rtb-iso" },
                },
            ]);
            assert.deepStrictEqual((await runStackPolicy(p, resources)).violations, []);
        });

        it("prefers the VPC's mainRouteTableId over its defaultRouteTableId", async () => {
            const resources = vpcProps(withoutAssociation("isolated-b")(network()), {
                mainRouteTableId: "rtb-iso",
                defaultRouteTableId: "rtb-pub",
            });
            assert.deepStrictEqual((await runStackPolicy(p, resources)).violations, []);
        });

        it("finds the default route table through a DefaultRouteTable's vpcId output", async () => {
            const resources = vpcProps(withoutAssociation("isolated-b")(network()), {}).concat([
                {
                    type: T.defaultRouteTable,
                    name: "default",
                    id: "rtb-dflt",
                    props: {
                        defaultRouteTableId: "rtb-dflt",
                        vpcId: "vpc-1",
                        routes: [
                            {
                                cidrBlock: "",
                                ipv6CidrBlock: "::/0",
                                destinationPrefixListId: "",
                                gatewayId: "igw-0a1",
                                natGatewayId: "",
                                vpcEndpointId: "",
                            },
                        ],
                    },
                },
            ]);
            const out = await runStackPolicy(p, resources);
            assert.strictEqual(out.violations.length, 1, JSON.stringify(out));
            assert.ok(
                out.violations[0].message.includes(
                    'main route table "default" (rtb-dflt), which routes ::/0 to internet gateway',
                ),
                out.violations[0].message,
            );
        });

        it("names the destination of outputs-shaped routes whose unset fields are empty strings", async () => {
            const resources = change(network(), "public-default", T.route, (props) => ({
                ...props,
                destinationCidrBlock: "",
                destinationIpv6CidrBlock: "::/0",
            }));
            const out = await runStackPolicy(
                p,
                change(resources, "db-subnets", T.rdsSubnetGroup, () => ({ subnetIds: ["subnet-pa"] })),
            );
            assert.ok(
                out.violations[0].message.includes("which routes ::/0 to internet gateway"),
                out.violations[0].message,
            );
        });

        it("an explicit association to a private table wins over a public main route table", async () => {
            const resources = network().concat([
                {
                    type: T.route,
                    name: "main-default",
                    id: "r-2",
                    props: { routeTableId: "rtb-main", destinationCidrBlock: "0.0.0.0/0", gatewayId: "igw-0a1" },
                },
            ]);
            assert.deepStrictEqual((await runStackPolicy(p, resources)).violations, []);
        });

        it("does not flag a gatewayId that is a gateway VPC endpoint, local, or empty", async () => {
            const resources = change(network(), "isolated-rt", T.routeTable, (props) => ({
                ...props,
                routes: [
                    { destinationPrefixListId: "pl-s3", gatewayId: "vpce-0abc" },
                    { cidrBlock: "10.0.0.0/16", gatewayId: "local" },
                    { cidrBlock: "0.0.0.0/0", gatewayId: "", natGatewayId: "nat-1" },
                    { ipv6CidrBlock: "::/0", gatewayId: "", egressOnlyGatewayId: "eigw-1" },
                ],
            }));
            assert.deepStrictEqual((await runStackPolicy(p, resources)).violations, []);
        });

        it('flags a subnet group whose subnet\'s mapPublicIpOnLaunch is the string "true"', async () => {
            const resources = change(network(), "isolated-a", T.subnet, (props) => ({
                ...props,
                mapPublicIpOnLaunch: "true",
            }));
            const out = await runStackPolicy(p, resources);
            assert.strictEqual(out.violations.length, 1);
            assert.ok(
                out.violations[0].message.endsWith(
                    "Replace it with an isolated subnet (mapPublicIpOnLaunch false, no route to an internet gateway).",
                ),
                out.violations[0].message,
            );
        });

        it("skips unknown and missing ids without crashing", async () => {
            const cases: StackResource[][] = [
                change(
                    network(),
                    "db-subnets",
                    T.rdsSubnetGroup,
                    () => ({ subnetIds: null }) as unknown as Record<string, unknown>,
                ),
                change(network(), "db-subnets", T.rdsSubnetGroup, () => ({
                    subnetIds: [null, "subnet-unknown-to-stack", 42],
                })),
                change(network(), "db-subnets", T.rdsSubnetGroup, () => ({})),
                network().map((r) => ({ ...r, id: undefined })),
                change(network(), "public-a", T.routeTableAssociation, () => ({ subnetId: null, routeTableId: null })),
                change(network(), "public-default", T.route, () => ({ routeTableId: null, gatewayId: null })),
            ];
            for (const resources of cases) {
                const out = await runStackPolicy(p, resources);
                assert.deepStrictEqual(out.violations, [], JSON.stringify(out));
            }
        });

        it("does not use the main-table fallback while some association's subnet is unknown", async () => {
            const resources = network()
                .map((r) =>
                    r.type === T.routeTableAssociation && r.name === "isolated-b"
                        ? { ...r, props: { subnetId: null, routeTableId: "rtb-iso" } }
                        : r,
                )
                .concat([
                    {
                        type: T.route,
                        name: "main-default",
                        id: "r-2",
                        props: { routeTableId: "rtb-main", destinationCidrBlock: "0.0.0.0/0", gatewayId: "igw-0a1" },
                    },
                ]);
            assert.deepStrictEqual((await runStackPolicy(p, resources)).violations, []);
        });

        it("reports each public subnet of each group against that group", async () => {
            const resources = network().concat([
                {
                    type: T.rdsSubnetGroup,
                    name: "other",
                    id: "other",
                    props: { subnetIds: ["subnet-pa", "subnet-pa"] },
                },
            ]);
            const out = await runStackPolicy(p, resources);
            assert.deepStrictEqual(
                out.violations.map((v) => v.urn),
                [urnOf(T.rdsSubnetGroup, "other")],
            );
        });

        it("is not applicable without a DB subnet group", async () => {
            const out = await runStackPolicy(
                p,
                network().filter((r) => r.type !== T.rdsSubnetGroup),
            );
            assert.deepStrictEqual(out.violations, []);
            assert.ok(out.notApplicable);
        });
    });
});
