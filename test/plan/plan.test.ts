/**
 * The offline plan end to end: `npm run plan` on the committed stacks, on bad config and on a
 * hostile program, each in its own process as a user runs it.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import type { PlanDocument } from "../../tools/run-plan";
import { CliResult, planCli, planJson, ROOT, tempStackFile } from "../support/plan-cli";

type Res = PlanDocument["resources"][number];
type Inputs = Record<string, any>;

const SUBNET = "aws:ec2/subnet:Subnet";
const ROUTE = "aws:ec2/route:Route";
const ASSOCIATION = "aws:ec2/routeTableAssociation:RouteTableAssociation";
const NAT = "aws:ec2/natGateway:NatGateway";
const SG = "aws:ec2/securityGroup:SecurityGroup";
const INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";
const SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule";
const RDS_INSTANCE = "aws:rds/instance:Instance";
const SUBNET_GROUP = "aws:rds/subnetGroup:SubnetGroup";
const LAMBDA = "aws:lambda/function:Function";

const ofType = (doc: PlanDocument, type: string) => doc.resources.filter((r) => r.type === type);
const inputs = (r: Res) => r.inputs as Inputs;
const byId = (doc: PlanDocument, id: unknown) => doc.resources.find((r) => r.id !== null && r.id === id);
/** The database: the RDS instance, or the Aurora cluster (whose security groups its instances use). */
const database = (doc: PlanDocument) => ofType(doc, RDS_INSTANCE)[0] ?? ofType(doc, "aws:rds/cluster:Cluster")[0];
const tier = (r: Res) => inputs(r).tags?.["private-app:tier"] as string | undefined;
const sorted = (xs: unknown[]) => [...xs].map(String).sort();

/** Route tables associated with a subnet. */
function routeTablesOf(doc: PlanDocument, subnetId: string): Res[] {
    return ofType(doc, ASSOCIATION)
        .filter((a) => inputs(a).subnetId === subnetId)
        .map((a) => byId(doc, inputs(a).routeTableId))
        .filter((r): r is Res => r !== undefined);
}

/** Every route of a route table: separate Route resources and inline routes. */
function routesOf(doc: PlanDocument, table: Res): Inputs[] {
    return [
        ...ofType(doc, ROUTE)
            .filter((r) => inputs(r).routeTableId === table.id)
            .map(inputs),
        ...((inputs(table).routes as Inputs[] | undefined) ?? []),
    ];
}

function targetsInternet(doc: PlanDocument, route: Inputs): boolean {
    const target = byId(doc, route.gatewayId ?? route.natGatewayId);
    return (
        target?.type === "aws:ec2/internetGateway:InternetGateway" ||
        target?.type === NAT ||
        /^(igw|nat)-/.test(String(route.gatewayId ?? "")) ||
        route.natGatewayId !== undefined
    );
}

/** Every string anywhere in a value. */
function strings(value: unknown, at = ""): { at: string; value: string }[] {
    if (typeof value === "string") return [{ at, value }];
    if (Array.isArray(value)) return value.flatMap((v, i) => strings(v, `${at}[${i}]`));
    if (value !== null && typeof value === "object")
        return Object.entries(value).flatMap(([k, v]) => strings(v, at ? `${at}.${k}` : k));
    return [];
}

function commonChecks(doc: PlanDocument, result: CliResult, azs: number) {
    it("exits 0 with no mandatory violation", () => {
        assert.strictEqual(result.code, 0, result.stderr);
        assert.deepStrictEqual(
            doc.violations.filter((v) => v.enforcementLevel === "mandatory"),
            [],
        );
    });

    it("encrypts the alarm topic with a key whose policy lets CloudWatch publish (never alias/aws/sns)", () => {
        const [topic] = ofType(doc, "aws:sns/topic:Topic");
        const [key] = ofType(doc, "aws:kms/key:Key");
        assert.ok(key, "no KMS key for the alarm topic");
        assert.notStrictEqual(inputs(topic).kmsMasterKeyId, "alias/aws/sns");
        assert.strictEqual(inputs(key).enableKeyRotation, true);
        const statements = JSON.parse(String(inputs(key).policy)).Statement as Inputs[];
        const cw = statements.find((st) => st.Principal?.Service === "cloudwatch.amazonaws.com");
        assert.ok(cw, "the key policy does not admit cloudwatch.amazonaws.com");
        assert.deepStrictEqual(cw.Action, ["kms:Decrypt", "kms:GenerateDataKey*"]);
    });

    it("prints one JSON document whose resources trace to the stack", () => {
        const stackUrn = `urn:pulumi:${doc.stack}::private-app::pulumi:pulumi:Stack::private-app-${doc.stack}`;
        assert.strictEqual(doc.resources[0].urn, stackUrn);
        const urns = new Set(doc.resources.map((r) => r.urn));
        for (const r of doc.resources.slice(1)) {
            assert.ok(r.parent !== null && urns.has(r.parent), `${r.urn} has parent ${r.parent}`);
            assert.ok(typeof r.type === "string" && typeof r.name === "string" && typeof r.inputs === "object");
        }
        for (const c of [
            "private-app:network:Network",
            "private-app:database:Database",
            doc.outputs.computeMode === "ecs" ? "private-app:compute:EcsService" : "private-app:compute:LambdaService",
            "private-app:monitoring:AlarmTopic",
        ]) {
            const comp = ofType(doc, c);
            assert.strictEqual(comp.length, 1, c);
            assert.strictEqual(comp[0].parent, stackUrn);
            assert.strictEqual(comp[0].id, null, "components have no id");
        }
    });

    it(`has ${azs} AZs × 3 tiers of subnets, and only public ones map public IPs`, () => {
        const subnets = ofType(doc, SUBNET);
        assert.strictEqual(subnets.length, azs * 3);
        for (const t of ["public", "private", "isolated"]) {
            const ofTier = subnets.filter((s) => tier(s) === t);
            assert.strictEqual(ofTier.length, azs, `${t} subnets`);
            assert.strictEqual(
                new Set(ofTier.map((s) => inputs(s).availabilityZone)).size,
                azs,
                `${t} subnets in distinct AZs`,
            );
        }
        for (const s of subnets)
            assert.strictEqual(inputs(s).mapPublicIpOnLaunch === true, tier(s) === "public", s.name);
    });

    it("gives no isolated subnet a route to an internet or NAT gateway", () => {
        const isolated = ofType(doc, SUBNET).filter((s) => tier(s) === "isolated");
        for (const s of isolated) {
            const tables = routeTablesOf(doc, s.id!);
            assert.strictEqual(tables.length, 1, `${s.name} has one route table`);
            for (const route of routesOf(doc, tables[0]))
                assert.ok(!targetsInternet(doc, route), `${s.name}: ${JSON.stringify(route)}`);
        }
    });

    it("puts the database in the isolated subnets only, never publicly accessible", () => {
        const isolatedIds = ofType(doc, SUBNET)
            .filter((s) => tier(s) === "isolated")
            .map((s) => s.id);
        const groups = ofType(doc, SUBNET_GROUP);
        assert.strictEqual(groups.length, 1);
        assert.deepStrictEqual(sorted(inputs(groups[0]).subnetIds), sorted(isolatedIds));
        const dbs = [...ofType(doc, RDS_INSTANCE), ...ofType(doc, "aws:rds/clusterInstance:ClusterInstance")];
        assert.ok(dbs.length >= 1);
        for (const db of dbs) assert.strictEqual(inputs(db).publiclyAccessible, false, db.name);
        for (const db of ofType(doc, RDS_INSTANCE)) assert.strictEqual(inputs(db).storageEncrypted, true);
    });

    it("admits only security groups, only on 5432, to the database", () => {
        const dbSgIds = inputs(database(doc)).vpcSecurityGroupIds as string[];
        assert.strictEqual(dbSgIds.length, 1);
        const dbSg = byId(doc, dbSgIds[0])!;
        assert.strictEqual(dbSg.type, SG);
        assert.deepStrictEqual(inputs(dbSg).ingress ?? [], [], "no inline ingress");
        const rules = ofType(doc, INGRESS).filter((r) => inputs(r).securityGroupId === dbSg.id);
        assert.ok(rules.length >= 1);
        for (const r of rules) {
            const i = inputs(r);
            assert.strictEqual(i.ipProtocol, "tcp");
            assert.strictEqual(i.fromPort, 5432);
            assert.strictEqual(i.toPort, 5432);
            assert.strictEqual(i.cidrIpv4, undefined);
            assert.strictEqual(i.cidrIpv6, undefined);
            assert.strictEqual(byId(doc, i.referencedSecurityGroupId)?.type, SG);
        }
        assert.strictEqual(ofType(doc, SG_RULE).filter((r) => inputs(r).securityGroupId === dbSg.id).length, 0);
    });

    it("runs each function in the private subnets in its own group: the API on the client path, the migrations on the admin path", () => {
        const privateIds = ofType(doc, SUBNET)
            .filter((s) => tier(s) === "private")
            .map((s) => s.id);
        const fns = ofType(doc, LAMBDA);
        const ecs = doc.outputs.computeMode === "ecs";
        // The ecs mode runs the API as a Fargate service; the migrations stay a function.
        assert.strictEqual(fns.length, ecs ? 1 : 2);
        const groupOf = new Map<string, string>();
        for (const fn of fns) {
            const vpc = inputs(fn).vpcConfig;
            assert.deepStrictEqual(sorted(vpc.subnetIds), sorted(privateIds), fn.name);
            assert.strictEqual(vpc.securityGroupIds.length, 1);
            groupOf.set(fn.name, vpc.securityGroupIds[0]);
        }
        if (ecs) {
            const net = inputs(ofType(doc, "aws:ecs/service:Service")[0]).networkConfiguration;
            assert.deepStrictEqual(sorted(net.subnets), sorted(privateIds), "the service");
            assert.strictEqual(net.assignPublicIp, false);
            assert.strictEqual(net.securityGroups.length, 1);
            groupOf.set("app-api", net.securityGroups[0]);
        }
        const apiGroup = groupOf.get("app-api")!;
        const migrateGroup = groupOf.get("app-migrate")!;
        assert.ok(apiGroup && migrateGroup && apiGroup !== migrateGroup, "one security group per function");
        // The API's host path: the proxy's group when there is a proxy, else the database's.
        // The migrations bypass the proxy: the database's own group admits them.
        const dbSg = (inputs(database(doc)).vpcSecurityGroupIds as string[])[0];
        const proxies = ofType(doc, "aws:rds/proxy:Proxy");
        const clientSg = proxies.length > 0 ? (inputs(proxies[0]).vpcSecurityGroupIds as string[])[0] : dbSg;
        const admittedBy = (group: string) =>
            ofType(doc, INGRESS)
                .filter((r) => inputs(r).referencedSecurityGroupId === group)
                .map((r) => [inputs(r).securityGroupId, inputs(r).ipProtocol, inputs(r).fromPort, inputs(r).toPort]);
        assert.deepStrictEqual(admittedBy(apiGroup), [[clientSg, "tcp", 5432, 5432]], "the API: its host path only");
        assert.deepStrictEqual(
            admittedBy(migrateGroup),
            [[dbSg, "tcp", 5432, 5432]],
            "the migrations: the database only",
        );
    });

    it("holds no password in plain text anywhere", () => {
        for (const r of doc.resources) {
            for (const s of strings(r.inputs)) {
                if (/password$|^secretString$/i.test(s.at.split(".").pop() ?? "")) {
                    assert.strictEqual(s.value, "[secret]", `${r.type} ${r.name} ${s.at}`);
                }
                assert.ok(!/^mock-[0-9a-f]{24}$/.test(s.value), `${r.name} ${s.at} holds a generated password`);
            }
        }
        for (const fn of ofType(doc, LAMBDA)) {
            for (const [k, v] of Object.entries((inputs(fn).environment?.variables ?? {}) as Record<string, string>)) {
                assert.ok(!/PASSWORD|TOKEN/i.test(k), `${fn.name} env ${k}`);
                if (/SECRET/i.test(k)) assert.match(v, /^arn:aws:secretsmanager:/, `${fn.name} env ${k} is an ARN`);
            }
        }
        for (const s of strings(doc.outputs)) assert.ok(!/^mock-/.test(s.value), `output ${s.at}`);
    });

    it("creates the HTTP API with its route and the migration invocation", () => {
        assert.strictEqual(ofType(doc, "aws:apigatewayv2/api:Api").length, 1);
        assert.strictEqual(inputs(ofType(doc, "aws:apigatewayv2/api:Api")[0]).protocolType, "HTTP");
        assert.ok(ofType(doc, "aws:apigatewayv2/route:Route").length >= 1);
        assert.strictEqual(ofType(doc, "aws:lambda/invocation:Invocation").length, 1);
        assert.match(String(doc.outputs.url), /^https:\/\//);
    });
}

/** The URNs a resource's aliases name: URNs as given, or specs (a new name or type) resolved against its URN. */
function aliasUrns(r: PlanDocument["resources"][number]): string[] {
    return ((r.options?.aliases ?? []) as unknown[]).map((a) => {
        if (typeof a === "string") return a;
        const spec = a as { name?: string; type?: string; parentUrn?: string };
        if (spec.parentUrn) throw new Error(`${r.urn}: an alias with another parent: give it as a URN`);
        const at = r.urn.lastIndexOf("::");
        const prefix = r.urn.slice(0, at);
        const typed = spec.type ? prefix.slice(0, prefix.lastIndexOf(r.type)) + spec.type : prefix;
        return `${typed}::${spec.name ?? r.name}`;
    });
}

describe("npm run plan", function () {
    this.timeout(120_000);

    describe("dev", () => {
        const ctx: { doc?: PlanDocument; result?: CliResult } = {};
        before(async () => Object.assign(ctx, await planJson("dev")));
        const doc = new Proxy({} as PlanDocument, { get: (_t, p) => (ctx.doc as any)[p] });
        const result = new Proxy({} as CliResult, { get: (_t, p) => (ctx.result as any)[p] });
        commonChecks(doc, result, 2);

        it("has no NAT gateway: no default route from the private subnets, Secrets Manager through an endpoint in the first AZ", () => {
            assert.strictEqual(ofType(doc, NAT).length, 0);
            assert.strictEqual(ofType(doc, "aws:ec2/eip:Eip").length, 0, "no public IPv4 address to pay for");
            const privateSubnets = ofType(doc, SUBNET).filter((x) => tier(x) === "private");
            for (const s of privateSubnets) {
                const [table] = routeTablesOf(doc, s.id!);
                const defaults = routesOf(doc, table).filter((r) => r.destinationCidrBlock === "0.0.0.0/0");
                assert.deepStrictEqual(defaults, [], s.name);
            }
            const endpoints = ofType(doc, "aws:ec2/vpcEndpoint:VpcEndpoint").filter(
                (e) => inputs(e).vpcEndpointType === "Interface",
            );
            assert.deepStrictEqual(
                endpoints.map((e) => inputs(e).serviceName),
                ["com.amazonaws.eu-west-1.secretsmanager"],
            );
            // In the first AZ only (interfaceEndpointAzCount: 1): one AZ-hour an hour to pay.
            const first = privateSubnets.find((s) => /-0$/.test(s.name))!;
            assert.deepStrictEqual(inputs(endpoints[0]).subnetIds, [first.id]);
            assert.strictEqual(inputs(endpoints[0]).privateDnsEnabled, true);
        });

        it("prints no reserved-concurrency note (nothing reserved)", () => {
            assert.doesNotMatch(result.stderr, /reserved concurrency/);
        });

        it("runs Aurora Serverless v2 that scales to 0 ACU and pauses, destroyable without a manual step", () => {
            const [cluster] = ofType(doc, "aws:rds/cluster:Cluster");
            assert.strictEqual(inputs(cluster).serverlessv2ScalingConfiguration.minCapacity, 0);
            assert.strictEqual(inputs(cluster).serverlessv2ScalingConfiguration.secondsUntilAutoPause, 300);
            assert.strictEqual(inputs(cluster).deletionProtection, false);
            assert.strictEqual(inputs(cluster).skipFinalSnapshot, true);
            const instances = ofType(doc, "aws:rds/clusterInstance:ClusterInstance");
            assert.deepStrictEqual(
                instances.map((i) => inputs(i).instanceClass),
                ["db.serverless"],
            );
            assert.strictEqual(ofType(doc, RDS_INSTANCE).length, 0);
        });

        it("gives the functions the timeouts a paused database needs (29 s API)", () => {
            const api = ofType(doc, LAMBDA).find((f) => /api/.test(f.name))!;
            assert.strictEqual(inputs(api).timeout, 29);
        });
    });

    describe("prod", () => {
        const ctx: { doc?: PlanDocument; result?: CliResult } = {};
        before(async () => Object.assign(ctx, await planJson("prod")));
        const doc = new Proxy({} as PlanDocument, { get: (_t, p) => (ctx.doc as any)[p] });
        const result = new Proxy({} as CliResult, { get: (_t, p) => (ctx.result as any)[p] });
        commonChecks(doc, result, 3);

        it("keeps every URN a deployed prod stack has, or aliases it (test/plan/prod-urns.txt)", () => {
            const file = path.join(ROOT, "test", "plan", "prod-urns.txt");
            const text = fs.readFileSync(file, "utf8");
            const header = text.split("\n").filter((l) => l.startsWith("#"));
            const committed = text.split("\n").filter((l) => l !== "" && !l.startsWith("#"));
            const planned = doc.resources.map((r) => r.urn).sort();
            if (process.env.UPDATE_URNS === "1") {
                fs.writeFileSync(file, [...header, ...planned, ""].join("\n"));
                return;
            }
            const aliased = new Set(doc.resources.flatMap((r) => aliasUrns(r)));
            const now = new Set(planned);
            const lost = committed.filter((u) => !now.has(u) && !aliased.has(u));
            assert.deepStrictEqual(
                lost,
                [],
                "resources a deployed stack would lose (replace): alias them, or update the list if intended",
            );
            const unlisted = planned.filter((u) => !committed.includes(u));
            assert.deepStrictEqual(unlisted, [], "new resources: add them to test/plan/prod-urns.txt (UPDATE_URNS=1)");
        });

        it("protects the database and orders the service after the migrations (resource options in the plan)", () => {
            const options = (type: string, name: string) =>
                doc.resources.find((r) => r.type === type && r.name === name)!.options ?? {};
            assert.strictEqual(options(RDS_INSTANCE, "db").protect, true);
            const invocation = doc.resources.find((r) => r.type === "aws:lambda/invocation:Invocation")!;
            assert.ok(
                options("aws:ecs/service:Service", "app").dependsOn?.includes(invocation.urn),
                "the service waits for the migrations",
            );
        });

        it("has a NAT gateway per AZ, each private route table to its own AZ's NAT", () => {
            const nats = ofType(doc, NAT);
            assert.strictEqual(nats.length, 3);
            for (const s of ofType(doc, SUBNET).filter((x) => tier(x) === "private")) {
                const [table] = routeTablesOf(doc, s.id!);
                const defaults = routesOf(doc, table).filter((r) => r.destinationCidrBlock === "0.0.0.0/0");
                assert.strictEqual(defaults.length, 1, s.name);
                const nat = byId(doc, defaults[0].natGatewayId)!;
                const natSubnet = byId(doc, inputs(nat).subnetId)!;
                assert.strictEqual(
                    inputs(natSubnet).availabilityZone,
                    inputs(s).availabilityZone,
                    `${s.name} uses its own AZ's NAT`,
                );
            }
        });

        it("alarms on connections above what the proxy may open (db.m7g.large, proxy 50%), and on memory", () => {
            const alarm = (suffix: string) =>
                ofType(doc, "aws:cloudwatch/metricAlarm:MetricAlarm").find((a) => a.name === `db-${suffix}`)!;
            const threshold = Number(inputs(alarm("connections")).threshold);
            // max_connections of 8 GiB is about 860: the proxy may open half of it.
            assert.ok(threshold > 600 && threshold < 860, String(threshold));
            const memory = inputs(alarm("freeable-memory"));
            assert.strictEqual(memory.metricName, "FreeableMemory");
            assert.strictEqual(memory.threshold, Math.floor(8 * 1024 * 0.15) * 1024 * 1024);
            // 10% of the 100 GB allocated
            assert.strictEqual(inputs(alarm("free-storage")).threshold, 10 * 1024 ** 3);
        });

        it("keeps prod data: deletion protection, a kept final snapshot, Multi-AZ, 30 days of backups", () => {
            const db = inputs(ofType(doc, RDS_INSTANCE)[0]);
            assert.strictEqual(db.deletionProtection, true);
            assert.strictEqual(db.skipFinalSnapshot, false);
            assert.match(String(db.finalSnapshotIdentifier), /\S/);
            assert.strictEqual(db.multiAz, true);
            assert.strictEqual(db.backupRetentionPeriod, 30);
        });

        it("backs up exactly this database with AWS Backup: vault key, daily rule, copy to eu-central-1, governance lock", () => {
            const one = (type: string, name: string) => doc.resources.find((r) => r.type === type && r.name === name)!;
            const instance = ofType(doc, RDS_INSTANCE)[0];
            const selection = inputs(ofType(doc, "aws:backup/selection:Selection")[0]);
            assert.strictEqual(ofType(doc, "aws:backup/selection:Selection").length, 1);
            // The instance's ARN, from its explicit identifier: nothing else is selected.
            assert.deepStrictEqual(selection.resources, [
                `arn:aws:rds:eu-west-1:123456789012:db:${inputs(instance).identifier}`,
            ]);
            assert.strictEqual(selection.selectionTags, undefined);
            const key = one("aws:kms/key:Key", "db-backup-key");
            const vault = inputs(one("aws:backup/vault:Vault", "db-backup-vault"));
            assert.strictEqual(vault.kmsKeyArn, `arn:aws:kms:eu-west-1:123456789012:key/${key.id}`);
            const copyKey = one("aws:kms/key:Key", "db-backup-copy-key");
            const copyVault = inputs(one("aws:backup/vault:Vault", "db-backup-copy-vault"));
            assert.strictEqual(copyVault.region, "eu-central-1");
            assert.strictEqual(copyVault.kmsKeyArn, `arn:aws:kms:eu-central-1:123456789012:key/${copyKey.id}`);
            const [rule] = inputs(ofType(doc, "aws:backup/plan:Plan")[0]).rules;
            assert.strictEqual(rule.schedule, "cron(0 1 ? * * *)");
            assert.deepStrictEqual(rule.lifecycle, { deleteAfter: 35 });
            assert.strictEqual(rule.copyActions.length, 1);
            assert.match(
                rule.copyActions[0].destinationVaultArn,
                /^arn:aws:backup:eu-central-1:123456789012:backup-vault:db-backup-copy-vault-/,
            );
            const locks = ofType(doc, "aws:backup/vaultLockConfiguration:VaultLockConfiguration").map(inputs);
            assert.strictEqual(locks.length, 2);
            for (const l of locks) assert.strictEqual(l.changeableForDays, undefined, "governance: no lock date");
            for (const r of [key, copyKey, one("aws:backup/vault:Vault", "db-backup-vault")]) {
                assert.strictEqual(r.options?.protect, true, r.name);
                assert.strictEqual(r.options?.retainOnDelete, true, r.name);
            }
            // One provider for both regions (the resources' own `region`), so the stack's
            // aws:defaultTags reach the copy region too: no explicit provider is declared.
            assert.deepStrictEqual(
                doc.resources.filter((r) => r.type.startsWith("pulumi:providers:")).map((r) => r.urn),
                [],
            );
        });
    });

    describe("every engine through the whole program", () => {
        const base = {
            "aws:region": "eu-west-1",
            "private-app:network": { azCount: 2, natGateways: "single" },
            "private-app:compute": { mode: "lambda", lambda: { reservedConcurrency: 100 } },
        };
        const engines: [string, Record<string, unknown>][] = [
            ["postgres, password auth for the app", { engine: "postgres", iamAuth: false, deletionProtection: false }],
            [
                "aurora-postgresql, Multi-AZ, protected",
                {
                    engine: "aurora-postgresql",
                    multiAz: true,
                    deletionProtection: true,
                    backupRetentionDays: 30,
                    // AWS Backup takes Aurora per cluster: the cluster's ARN is selected, not its instances'.
                    backupPlan: { copyRegion: "us-east-1" },
                },
            ],
            [
                "aurora-serverless, scale to zero",
                {
                    engine: "aurora-serverless",
                    engineVersion: "16.4",
                    minCapacityAcu: 0,
                    maxCapacityAcu: 8,
                    deletionProtection: false,
                },
            ],
            [
                "aurora-serverless behind a proxy, with a bastion",
                { engine: "aurora-serverless", proxy: true, bastion: true, iamAuth: false, deletionProtection: false },
            ],
        ];
        const docs = new Map<string, PlanDocument>();
        const stderrs = new Map<string, string>();
        before(async () => {
            await Promise.all(
                engines.map(async ([title, database]) => {
                    const file = tempStackFile("engine", { ...base, "private-app:database": database });
                    const { doc, result } = await planJson(file);
                    assert.strictEqual(
                        result.code,
                        0,
                        `${title}: ${result.stderr}\n${JSON.stringify(doc.violations, null, 1)}`,
                    );
                    docs.set(title, doc);
                    stderrs.set(title, result.stderr);
                }),
            );
        });
        it("notes the account quota that 100 reserved executions need (at least 200)", () => {
            // With --json the program's own output goes to stderr.
            for (const [title] of engines)
                assert.match(
                    stderrs.get(title)!,
                    /note: reserved concurrency 100 \(compute\.lambda\.reservedConcurrency\) needs an account concurrency quota of at least 200/,
                    title,
                );
        });
        for (const [title, database] of engines) {
            it(title, () => {
                const doc = docs.get(title)!;
                const isolatedIds = ofType(doc, SUBNET)
                    .filter((s) => tier(s) === "isolated")
                    .map((s) => s.id);
                const [group] = ofType(doc, SUBNET_GROUP);
                assert.deepStrictEqual(
                    sorted(inputs(group).subnetIds),
                    sorted(isolatedIds),
                    "subnet group = isolated subnets",
                );
                const aurora = database.engine !== "postgres";
                const members = aurora
                    ? ofType(doc, "aws:rds/clusterInstance:ClusterInstance")
                    : ofType(doc, RDS_INSTANCE);
                assert.strictEqual(members.length, aurora && database.multiAz ? 2 : 1);
                for (const m of members) assert.strictEqual(inputs(m).publiclyAccessible, false);
                const store = aurora ? inputs(ofType(doc, "aws:rds/cluster:Cluster")[0]) : inputs(members[0]);
                assert.strictEqual(store.storageEncrypted, true);
                assert.strictEqual(store.deletionProtection, database.deletionProtection);
                assert.strictEqual(store.skipFinalSnapshot, !database.deletionProtection);
                const params = aurora
                    ? ofType(doc, "aws:rds/clusterParameterGroup:ClusterParameterGroup")
                    : ofType(doc, "aws:rds/parameterGroup:ParameterGroup");
                const forceSsl = params.flatMap((p) =>
                    (inputs(p).parameters as Inputs[]).filter((x) => x.name === "rds.force_ssl"),
                );
                assert.deepStrictEqual(
                    forceSsl.map((x) => String(x.value)),
                    ["1"],
                );
                if (database.engine === "aurora-serverless") {
                    assert.ok(members.every((m) => inputs(m).instanceClass === "db.serverless"));
                    assert.strictEqual(
                        store.serverlessv2ScalingConfiguration.minCapacity,
                        database.minCapacityAcu ?? 0.5,
                    );
                }
                // A database that can pause takes ~15 s to resume: the functions wait for it.
                const fn = (name: string) => inputs(ofType(doc, LAMBDA).find((f) => f.name === name)!);
                const pausable = database.minCapacityAcu === 0;
                assert.strictEqual(fn("app-api").timeout, pausable ? 29 : 15);
                assert.strictEqual(
                    fn("app-api").environment.variables.DB_CONNECT_TIMEOUT_MS,
                    pausable ? "20000" : undefined,
                );
                assert.strictEqual(
                    fn("app-api").environment.variables.DB_CONNECT_RETRY_SECONDS,
                    pausable ? "2" : undefined,
                );
                assert.strictEqual(
                    fn("app-migrate").environment.variables.DB_CONNECT_RETRY_SECONDS,
                    pausable ? "60" : undefined,
                );
                // Every ingress rule in the stack is from a security group, except the endpoints' 443 from the VPC.
                for (const r of ofType(doc, INGRESS)) {
                    const i = inputs(r);
                    if (i.fromPort === 5432) {
                        assert.strictEqual(i.cidrIpv4, undefined, r.name);
                        assert.strictEqual(byId(doc, i.referencedSecurityGroupId)?.type, SG, r.name);
                    }
                }
                assert.deepStrictEqual(
                    doc.violations.filter((v) => v.enforcementLevel === "mandatory"),
                    [],
                );
                if (database.iamAuth === false) {
                    const versions = ofType(doc, "aws:secretsmanager/secretVersion:SecretVersion");
                    assert.ok(versions.length >= 1, "the app user's password is kept in Secrets Manager");
                    for (const v of versions) assert.strictEqual(inputs(v).secretString, "[secret]");
                    const api = ofType(doc, LAMBDA).find((f) => inputs(f).environment.variables.DB_USER !== undefined)!;
                    assert.match(inputs(api).environment.variables.DB_SECRET_ARN, /^arn:aws:secretsmanager:/);
                }
                for (const r of doc.resources)
                    for (const x of strings(r.inputs))
                        assert.ok(!/^mock-[0-9a-f]{24}$/.test(x.value), `${r.name} ${x.at}`);
                // database.backupPlan: a selection of exactly this database (the cluster for Aurora).
                const selections = ofType(doc, "aws:backup/selection:Selection");
                assert.strictEqual(selections.length, database.backupPlan ? 1 : 0);
                if (database.backupPlan) {
                    const kind = aurora ? "cluster" : "db";
                    const id = aurora ? store.clusterIdentifier : store.identifier;
                    assert.deepStrictEqual(inputs(selections[0]).resources, [
                        `arn:aws:rds:eu-west-1:123456789012:${kind}:${id}`,
                    ]);
                    const copy = ofType(doc, "aws:backup/vault:Vault")
                        .map(inputs)
                        .find((v) => v.region);
                    assert.strictEqual(copy?.region, "us-east-1");
                }
            });
        }
    });

    describe("an existing VPC (ids per tier, no CIDR given)", () => {
        const ids = {
            vpcId: "vpc-0a1b2c3d4e5f60718",
            privateSubnetIds: ["subnet-0000000000000a001", "subnet-0000000000000b001"],
            isolatedSubnetIds: ["subnet-0000000000000a002", "subnet-0000000000000b002"],
            privateEgress: false,
        };
        let doc: PlanDocument;
        let result: CliResult;
        before(async () => {
            const file = tempStackFile("existing", {
                "aws:region": "eu-west-1",
                "private-app:network": { existingVpc: ids },
                "private-app:database": { engine: "postgres", deletionProtection: false },
                "private-app:compute": { mode: "lambda" },
            });
            ({ doc, result } = await planJson(file));
        });

        it("creates no network resource and puts everything in the given subnets", () => {
            assert.strictEqual(result.code, 0, result.stderr);
            for (const t of [SUBNET, "aws:ec2/vpc:Vpc", NAT, ROUTE, ASSOCIATION])
                assert.strictEqual(ofType(doc, t).length, 0, t);
            assert.deepStrictEqual(inputs(ofType(doc, SUBNET_GROUP)[0]).subnetIds, ids.isolatedSubnetIds);
            for (const fn of ofType(doc, LAMBDA))
                assert.deepStrictEqual(inputs(fn).vpcConfig.subnetIds, ids.privateSubnetIds);
            for (const sg of ofType(doc, SG)) assert.strictEqual(inputs(sg).vpcId, ids.vpcId);
        });

        it("without NAT, opens the functions' HTTPS only to the VPC's range (looked up)", () => {
            const https = ofType(doc, "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule").filter(
                (r) => inputs(r).fromPort === 443,
            );
            assert.deepStrictEqual(
                https.map((r) => r.name).sort(),
                ["app-api-https", "app-lambda-https"],
                "one per function group",
            );
            for (const r of https)
                assert.strictEqual(inputs(r).cidrIpv4, "10.50.0.0/16", "the CIDR the getVpc lookup returned");
        });
    });

    describe("bad configuration: exit 2, one line per problem naming the key, nothing declared", () => {
        const base = {
            "aws:region": "eu-west-1",
            "private-app:database": { engine: "postgres" },
            "private-app:compute": { mode: "lambda" },
        };
        const cases: [string, Record<string, unknown>, string[]][] = [
            ["an unknown compute.mode", { "private-app:compute": { mode: "k8s" } }, ["private-app:compute.mode"]],
            [
                "a mode that is not available yet",
                { "private-app:compute": { mode: "ec2" } },
                ["private-app:compute.mode"],
            ],
            ["azCount 5", { "private-app:network": { azCount: 5 } }, ["private-app:network.azCount"]],
            [
                // Issue 9 item 2: without NAT the migrations need secretsmanager, the bastion ssm,
                // ssmmessages and ec2messages; one line names the key and every missing endpoint.
                "no NAT, a bastion and no interface endpoints",
                {
                    "private-app:network": { natGateways: "none" },
                    "private-app:database": { engine: "postgres", bastion: true },
                },
                ["private-app:network.interfaceEndpoints"],
            ],
            [
                "a CIDR that is not a CIDR",
                { "private-app:network": { cidr: "ten.0.0.0/16" } },
                ["private-app:network.cidr"],
            ],
            ["a /28 CIDR", { "private-app:network": { cidr: "10.0.0.0/28" } }, ["private-app:network.cidr"]],
            ["natGateways two", { "private-app:network": { natGateways: "two" } }, ["private-app:network.natGateways"]],
            ["a missing required key", { "private-app:database": undefined }, ["private-app:database"]],
            [
                "a wrong type",
                { "private-app:database": { engine: "postgres", multiAz: "yes" } },
                ["private-app:database.multiAz"],
            ],
            [
                "ACU min > max",
                { "private-app:database": { engine: "aurora-serverless", minCapacityAcu: 8, maxCapacityAcu: 2 } },
                ["private-app:database.minCapacityAcu"],
            ],
            [
                "retention 40 and an instance class without db.",
                { "private-app:database": { engine: "postgres", backupRetentionDays: 40, instanceClass: "m5.large" } },
                ["private-app:database.instanceClass", "private-app:database.backupRetentionDays"],
            ],
            [
                "several problems at once",
                { "private-app:network": { azCount: 5, natGateways: "two" }, "private-app:compute": { mode: "k8s" } },
                ["private-app:network.azCount", "private-app:network.natGateways", "private-app:compute.mode"],
            ],
        ];
        // Every case through the plan's own entry (runPlan, in this process: a config error
        // returns before the Pulumi runtime loads); three of them through the CLI as well, for
        // the exit code and the stderr format a user sees.
        const viaCli = new Set([
            "an unknown compute.mode",
            "a missing required key",
            "several problems at once",
            "no NAT, a bastion and no interface endpoints",
        ]);
        const results = new Map<string, { problems: readonly string[]; cli?: CliResult }>();
        before(async () => {
            const { runPlan } = await import("../../tools/run-plan");
            const { loadStack } = await import("../../tools/stack-files");
            await Promise.all(
                cases.map(async ([title, patch]) => {
                    const config: Record<string, unknown> = { ...base, ...patch };
                    for (const k of Object.keys(config)) if (config[k] === undefined) delete config[k];
                    const file = tempStackFile("bad", config);
                    const planned = await runPlan(ROOT, loadStack(ROOT, file));
                    assert.strictEqual(planned.kind, "config-error", title);
                    const problems = planned.kind === "config-error" ? planned.problems : [];
                    results.set(title, {
                        problems,
                        cli: viaCli.has(title) ? await planCli([file, "--json"]) : undefined,
                    });
                }),
            );
        });
        for (const [title, , keys] of cases) {
            it(title, () => {
                const { problems, cli } = results.get(title)!;
                assert.deepStrictEqual(
                    problems.map((l) => l.split(": ")[0]),
                    keys,
                );
                for (const l of problems) assert.match(l, /: got .*; .*\. Fix: /);
                if (cli) {
                    assert.strictEqual(cli.code, 2, cli.stderr);
                    assert.strictEqual(cli.stdout, "", "nothing on stdout: no plan, no resource");
                    const lines = cli.stderr.split("\n").filter((l) => l.startsWith("private-app:"));
                    assert.deepStrictEqual(lines, [...problems], "stderr: one line per problem");
                    assert.ok(!/^\s+at /m.test(cli.stderr), `no stack trace:\n${cli.stderr}`);
                }
            });
        }

        it("no NAT, a bastion and no interface endpoints: names each endpoint to add", () => {
            const [line] = results.get("no NAT, a bastion and no interface endpoints")!.problems;
            for (const e of ["secretsmanager", "ssm", "ssmmessages", "ec2messages"]) {
                assert.ok(line.includes(`"${e}"`), `${e} not named in: ${line}`);
            }
        });

        it("an unknown stack", async () => {
            const r = await planCli(["staging"]);
            assert.strictEqual(r.code, 2);
            assert.match(r.stderr, /unknown stack "staging".*stacks: dev, prod/);
        });
    });

    describe("a hostile program (test/fixtures/hostile-program.ts)", () => {
        let r: CliResult;
        before(async () => {
            r = await planCli(["dev", "--program", "test/fixtures/hostile-program.ts"]);
        });

        it("exits 1 and names each mandatory policy and resource", () => {
            assert.strictEqual(r.code, 1, r.stderr);
            for (const line of [
                "[mandatory] rds-not-publicly-accessible: aws:rds/instance:Instance bad-db",
                "[mandatory] no-world-ingress-to-postgres: aws:ec2/securityGroup:SecurityGroup bad-db-sg",
                "[mandatory] no-world-ingress-to-postgres: aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule bad-ipv6-rule",
                "[mandatory] db-subnet-group-not-public: aws:rds/subnetGroup:SubnetGroup bad-subnet-group",
            ]) {
                assert.ok(r.stdout.includes(line), `missing: ${line}\n${r.stdout}`);
            }
            assert.match(r.stdout, /FAILED: \d+ mandatory policy violations\./);
        });
    });
});
