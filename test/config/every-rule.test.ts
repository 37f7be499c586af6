/**
 * Every rule a planner can report reaches the user as a config error: for each problem site in
 * `lib/*-plan.ts`, a stack config below triggers it, and the plan rejects that config (exit 2)
 * naming the full config key, with no stack trace. A rule added without a case here fails the
 * coverage test; a rule that only concerns a component's wiring (never a config value) is
 * listed as such, with its key.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { stringify } from "yaml";
import { ConfigError, parseStackConfig } from "../../lib/config";
import { loadStack } from "../../tools/stack-files";
import { planCli } from "../support/plan-cli";

const ROOT = path.resolve(__dirname, "..", "..");

type Patch = Record<string, unknown>;
const db = (fields: Patch): Patch => ({ "private-app:database": { engine: "postgres", ...fields } });
const serverless = (fields: Patch): Patch => db({ engine: "aurora-serverless", ...fields });
const aurora = (fields: Patch): Patch => db({ engine: "aurora-postgresql", ...fields });
/** A restore on a stack that looks new (deletion protection off). */
const restore = (fields: Patch): Patch => db({ deletionProtection: false, restore: fields });
const net = (fields: Patch): Patch => ({ "private-app:network": fields });
const existing = (fields: Patch): Patch =>
    net({
        existingVpc: {
            vpcId: "vpc-0123456789abcdef0",
            privateSubnetIds: ["subnet-0a000000", "subnet-0b000000"],
            isolatedSubnetIds: ["subnet-0c000000", "subnet-0d000000"],
            ...fields,
        },
    });
const compute = (fields: Patch): Patch => ({ "private-app:compute": { mode: "lambda", ...fields } });
const lambda = (fields: Patch): Patch => compute({ lambda: fields });
const api = (fields: Patch): Patch => compute({ api: fields });
const CERT = "arn:aws:acm:eu-west-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";
const IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/private-app:3f2c1e0";
const ecs = (fields: Patch, more: Patch = {}): Patch => ({
    "private-app:compute": { mode: "ecs", ingress: "apiGateway", ecs: fields, ...more },
});
const ec2 = (fields: Patch): Patch => ({
    "private-app:compute": { mode: "ec2", ingress: "apiGateway", ec2: fields },
});
const alb = (fields: Patch): Patch => ({ "private-app:compute": { mode: "ecs", ingress: "alb", alb: fields } });
const alarms = (fields: Patch): Patch => ({ "private-app:alarms": fields });
const backup = (fields: Patch, dbFields: Patch = {}): Patch => db({ ...dbFields, backupPlan: fields });
const lock = (fields: Patch, more: Patch = {}): Patch =>
    backup({ ...more, vaultLock: { mode: "governance", minRetentionDays: 7, maxRetentionDays: 365, ...fields } });
const BP = "private-app:database.backupPlan";
const ISSUER = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEfGhI";
const auth = (fields: Patch): Patch => api({ auth: { issuer: ISSUER, audiences: ["client-1"], ...fields } });
const route = (r: Patch): Patch => auth({ routes: [{ route: "POST /api/notes", scopes: ["notes/write"], ...r }] });
const oidc = (fields: Patch): Patch =>
    alb({
        certificateArn: CERT,
        oidc: {
            issuer: ISSUER,
            authorizationEndpoint: "https://auth.example.com/oauth2/authorize",
            tokenEndpoint: "https://auth.example.com/oauth2/token",
            userInfoEndpoint: "https://auth.example.com/oauth2/userInfo",
            clientId: "client-1",
            clientSecret: "in plain text",
            ...fields,
        },
    });

/** [what, the stack config's keys that differ from a valid minimal stack, the config key named]. */
const CASES: [string, Patch, string][] = [
    // database: restore (the stack file is Pulumi.rule.yaml: stack "rule", database private-app-rule-db)
    [
        "a restore from a snapshot and a point in time",
        restore({ fromSnapshot: "snap-1", pointInTime: { source: "private-app-prod-db", time: "latest" } }),
        "private-app:database.restore.pointInTime",
    ],
    ["a restore without a source", restore({}), "private-app:database.restore"],
    [
        "a cluster snapshot for engine postgres",
        restore({ fromSnapshot: "arn:aws:rds:eu-west-1:123456789012:cluster-snapshot:prod-final" }),
        "private-app:database.restore.fromSnapshot",
    ],
    [
        "a database given as the snapshot",
        restore({ fromSnapshot: "arn:aws:rds:eu-west-1:123456789012:db:private-app-prod-db" }),
        "private-app:database.restore.fromSnapshot",
    ],
    [
        "this project's database identifier given as the snapshot",
        restore({ fromSnapshot: "private-app-prod-db" }),
        "private-app:database.restore.fromSnapshot",
    ],
    [
        "a snapshot identifier RDS refuses",
        restore({ fromSnapshot: "prod--snap" }),
        "private-app:database.restore.fromSnapshot",
    ],
    [
        "a source identifier RDS refuses",
        restore({ pointInTime: { source: "prod_db", time: "latest" } }),
        "private-app:database.restore.pointInTime.source",
    ],
    [
        "the stack's own database as the source",
        restore({ pointInTime: { source: "private-app-rule-db", time: "latest" } }),
        "private-app:database.restore.pointInTime.source",
    ],
    [
        "a snapshot given as the source",
        restore({ pointInTime: { source: "arn:aws:rds:eu-west-1:123456789012:snapshot:prod-final", time: "latest" } }),
        "private-app:database.restore.pointInTime.source",
    ],
    [
        "a point in time that is not a UTC time",
        restore({ pointInTime: { source: "private-app-prod-db", time: "2026-12-01 09:30" } }),
        "private-app:database.restore.pointInTime.time",
    ],
    [
        "a point in time in the future",
        restore({ pointInTime: { source: "private-app-prod-db", time: "2999-01-01T00:00:00Z" } }),
        "private-app:database.restore.pointInTime.time",
    ],
    [
        "a restore confirmed for another stack",
        restore({ fromSnapshot: "snap-1", confirmStack: "prod" }),
        "private-app:database.restore.confirmStack",
    ],
    [
        "a restore on a stack that looks long-lived, unconfirmed",
        db({ restore: { fromSnapshot: "snap-1" } }),
        "private-app:database.restore.confirmStack",
    ],
    // network: a new VPC
    ["a CIDR that is not one", net({ cidr: "ten.0.0.0/16" }), "private-app:network.cidr"],
    ["a /25 VPC", net({ cidr: "10.0.0.0/25" }), "private-app:network.cidr"],
    ["host bits set", net({ cidr: "10.0.1.0/16" }), "private-app:network.cidr"],
    ["4 AZs", net({ azCount: 4 }), "private-app:network.azCount"],
    ["an unknown NAT mode", net({ natGateways: "two" }), "private-app:network.natGateways"],
    ["an unknown endpoint", net({ interfaceEndpoints: ["s3"] }), "private-app:network.interfaceEndpoints[0]"],
    ["an endpoint twice", net({ interfaceEndpoints: ["logs", "logs"] }), "private-app:network.interfaceEndpoints[1]"],
    [
        "endpoints in more AZs than the VPC has",
        net({ interfaceEndpointAzCount: 3 }),
        "private-app:network.interfaceEndpointAzCount",
    ],
    [
        "a flow log retention CloudWatch refuses",
        net({ flowLogRetentionDays: 31 }),
        "private-app:network.flowLogRetentionDays",
    ],
    // network: an existing VPC
    ["a bad VPC id", existing({ vpcId: "vpc-xyz" }), "private-app:network.existingVpc.vpcId"],
    ["a bad existing CIDR", existing({ cidr: "10.0.0.1/16" }), "private-app:network.existingVpc.cidr"],
    [
        "a bad subnet id",
        existing({ publicSubnetIds: ["sub-1", "subnet-0f000000"] }),
        "private-app:network.existingVpc.publicSubnetIds[0]",
    ],
    [
        "a subnet twice",
        existing({ privateSubnetIds: ["subnet-0a000000", "subnet-0a000000"] }),
        "private-app:network.existingVpc.privateSubnetIds[1]",
    ],
    [
        "a subnet in two tiers",
        existing({ isolatedSubnetIds: ["subnet-0a000000", "subnet-0d000000"] }),
        "private-app:network.existingVpc.isolatedSubnetIds[0]",
    ],
    [
        "one private subnet",
        existing({ privateSubnetIds: ["subnet-0a000000"], isolatedSubnetIds: ["subnet-0c000000"] }),
        "private-app:network.existingVpc.privateSubnetIds",
    ],
    [
        "fewer isolated than private subnets",
        existing({ isolatedSubnetIds: ["subnet-0c000000"] }),
        "private-app:network.existingVpc.isolatedSubnetIds",
    ],
    [
        "public subnets that do not match",
        existing({ publicSubnetIds: ["subnet-0e000000"] }),
        "private-app:network.existingVpc.publicSubnetIds",
    ],
    // database
    ["an unknown engine", db({ engine: "mysql" }), "private-app:database.engine"],
    ["a version that is not one", db({ engineVersion: "sixteen" }), "private-app:database.engineVersion"],
    ["an unsupported major", db({ engineVersion: "12" }), "private-app:database.engineVersion"],
    ["a major alone on Aurora", aurora({ engineVersion: "16" }), "private-app:database.engineVersion"],
    ["a class on Serverless v2", serverless({ instanceClass: "db.r7g.large" }), "private-app:database.instanceClass"],
    ["an Aurora class too small", aurora({ instanceClass: "db.t4g.micro" }), "private-app:database.instanceClass"],
    ["db.serverless on RDS", db({ instanceClass: "db.serverless" }), "private-app:database.instanceClass"],
    ["a class without db.", db({ instanceClass: "t4g.micro" }), "private-app:database.instanceClass"],
    ["storage on Aurora", aurora({ allocatedStorageGb: 50 }), "private-app:database.allocatedStorageGb"],
    ["storage below 20 GiB", db({ allocatedStorageGb: 10 }), "private-app:database.allocatedStorageGb"],
    [
        "a storage limit out of range",
        db({ maxAllocatedStorageGb: 70000 }),
        "private-app:database.maxAllocatedStorageGb",
    ],
    [
        "a storage limit under 110 %",
        db({ allocatedStorageGb: 100, maxAllocatedStorageGb: 105 }),
        "private-app:database.maxAllocatedStorageGb",
    ],
    ["min ACU out of range", serverless({ minCapacityAcu: 0.3 }), "private-app:database.minCapacityAcu"],
    ["max ACU out of range", serverless({ maxCapacityAcu: 300 }), "private-app:database.maxCapacityAcu"],
    ["min ACU above max", serverless({ minCapacityAcu: 8, maxCapacityAcu: 4 }), "private-app:database.minCapacityAcu"],
    ["a Serverless v2 version too old", serverless({ engineVersion: "13.5" }), "private-app:database.engineVersion"],
    [
        "0 ACU on a version without auto-pause",
        serverless({ engineVersion: "16.2", minCapacityAcu: 0 }),
        "private-app:database.minCapacityAcu",
    ],
    [
        "a proxy in front of a pausing cluster",
        serverless({ engineVersion: "16.4", minCapacityAcu: 0, proxy: true }),
        "private-app:database.proxy",
    ],
    [
        "an auto-pause delay without 0 ACU",
        serverless({ secondsUntilAutoPause: 600 }),
        "private-app:database.secondsUntilAutoPause",
    ],
    [
        "an auto-pause delay out of range",
        serverless({ engineVersion: "16.4", minCapacityAcu: 0, secondsUntilAutoPause: 60 }),
        "private-app:database.secondsUntilAutoPause",
    ],
    ["ACUs on RDS", db({ maxCapacityAcu: 4 }), "private-app:database.maxCapacityAcu"],
    ["no automated backups", db({ backupRetentionDays: 0 }), "private-app:database.backupRetentionDays"],
    ["a backup window that is not one", db({ backupWindow: "3-4" }), "private-app:database.backupWindow"],
    [
        "a maintenance window that is not one",
        db({ maintenanceWindow: "sunday" }),
        "private-app:database.maintenanceWindow",
    ],
    [
        "a backup window inside the maintenance window",
        db({ backupWindow: "04:00-05:00", maintenanceWindow: "sun:04:30-sun:05:30" }),
        "private-app:database.maintenanceWindow",
    ],
    ["a log retention CloudWatch refuses", db({ logRetentionDays: 31 }), "private-app:database.logRetentionDays"],
    [
        "a monitoring interval RDS refuses",
        db({ monitoringIntervalSeconds: 7 }),
        "private-app:database.monitoringIntervalSeconds",
    ],
    [
        "a proxy connection share out of range",
        db({ proxyMaxConnectionsPercent: 0 }),
        "private-app:database.proxyMaxConnectionsPercent",
    ],
    [
        "a bastion type that is not one",
        db({ bastionInstanceType: "db.t4g.nano" }),
        "private-app:database.bastionInstanceType",
    ],
    ["a KMS alias instead of an ARN", db({ kmsKeyArn: "alias/db" }), "private-app:database.kmsKeyArn"],
    ["a database name PostgreSQL reserves", db({ databaseName: "postgres" }), "private-app:database.databaseName"],
    ["a user name that is not one", db({ masterUsername: "Admin-1" }), "private-app:database.masterUsername"],
    ["a user name RDS reserves", db({ masterUsername: "rdsops" }), "private-app:database.masterUsername"],
    ["the app user as master", db({ masterUsername: "app_user" }), "private-app:database.appUsername"],
    // alarms (database thresholds and the topic)
    ["a CPU threshold over 100 %", alarms({ dbCpuPercent: 120 }), "private-app:alarms.dbCpuPercent"],
    ["a free storage threshold of 0", alarms({ dbFreeStorageMb: 0 }), "private-app:alarms.dbFreeStorageMb"],
    ["a connections threshold of 0", alarms({ dbConnections: 0 }), "private-app:alarms.dbConnections"],
    [
        "a proxy connections threshold of 0",
        alarms({ proxyClientConnections: 0 }),
        "private-app:alarms.proxyClientConnections",
    ],
    ["a bad email", alarms({ emails: ["oncall"] }), "private-app:alarms.emails[0]"],
    ["the AWS-managed SNS key", alarms({ kmsKeyArn: "alias/aws/sns" }), "private-app:alarms.kmsKeyArn"],
    [
        "two free storage thresholds",
        alarms({ dbFreeStoragePercent: 10, dbFreeStorageMb: 2048 }),
        "private-app:alarms.dbFreeStorageMb",
    ],
    [
        "two freeable memory thresholds",
        alarms({ dbMemoryUsedPercent: 80, dbFreeableMemoryMb: 512 }),
        "private-app:alarms.dbFreeableMemoryMb",
    ],
    [
        "a class whose memory is unknown, without thresholds",
        db({ instanceClass: "db.z9q.large" }),
        "private-app:alarms.dbFreeableMemoryMb",
    ],
    [
        "a class whose max_connections is unknown",
        { ...db({ instanceClass: "db.z9q.large" }), ...alarms({ dbFreeableMemoryMb: 512 }) },
        "private-app:alarms.dbConnections",
    ],
    ["a freeable memory threshold of 0", alarms({ dbFreeableMemoryMb: 0 }), "private-app:alarms.dbFreeableMemoryMb"],
    ["a memory share of 100 %", alarms({ dbMemoryUsedPercent: 100 }), "private-app:alarms.dbMemoryUsedPercent"],
    ["a free storage share of 0", alarms({ dbFreeStoragePercent: 0 }), "private-app:alarms.dbFreeStoragePercent"],
    ["an email twice", alarms({ emails: ["a@example.com", "A@example.com"] }), "private-app:alarms.emails[1]"],
    // compute
    ["a block of another mode", compute({ ecs: {} }), "private-app:compute.ecs"],
    ["an ALB block in the lambda mode", compute({ alb: {} }), "private-app:compute.alb"],
    ["an ALB block behind an HTTP API", ecs({}, { alb: {} }), "private-app:compute.alb"],
    [
        "an HTTP API block behind an ALB",
        { "private-app:compute": { mode: "ecs", ingress: "alb", alb: { certificateArn: CERT }, api: {} } },
        "private-app:compute.api",
    ],
    ["an ALB without a certificate", { "private-app:compute": { mode: "ecs" } }, "private-app:compute.alb"],
    // compute: ec2
    ["an instance type that does not exist", ec2({ instanceType: "t4g.huge" }), "private-app:compute.ec2.instanceType"],
    [
        "an EC2 architecture that does not exist",
        ec2({ architecture: "riscv64" }),
        "private-app:compute.ec2.architecture",
    ],
    [
        "an architecture the instance type does not have",
        ec2({ instanceType: "t3.small", architecture: "arm64" }),
        "private-app:compute.ec2.architecture",
    ],
    ["no instances at least", ec2({ minSize: 0 }), "private-app:compute.ec2.minSize"],
    ["a fractional maximum", ec2({ maxSize: 2.5 }), "private-app:compute.ec2.maxSize"],
    ["a desired capacity of 0", ec2({ desiredCapacity: 0 }), "private-app:compute.ec2.desiredCapacity"],
    ["min > max", ec2({ minSize: 5, maxSize: 3 }), "private-app:compute.ec2.minSize"],
    [
        "desired outside [min, max]",
        ec2({ minSize: 2, maxSize: 4, desiredCapacity: 5 }),
        "private-app:compute.ec2.desiredCapacity",
    ],
    [
        "a grace period of an hour and more",
        ec2({ healthCheckGracePeriodSeconds: 7200 }),
        "private-app:compute.ec2.healthCheckGracePeriodSeconds",
    ],
    [
        "a grace period shorter than the boot",
        ec2({ healthCheckGracePeriodSeconds: 60 }),
        "private-app:compute.ec2.healthCheckGracePeriodSeconds",
    ],
    ["a healthy share above 100 %", ec2({ minHealthyPercentage: 101 }), "private-app:compute.ec2.minHealthyPercentage"],
    ["an instance CPU target of 5 %", ec2({ cpuTargetPercent: 5 }), "private-app:compute.ec2.cpuTargetPercent"],
    ["no requests per instance", ec2({ requestsPerTarget: 0 }), "private-app:compute.ec2.requestsPerTarget"],
    ["an app log retention of 31 days", ec2({ logRetentionDays: 31 }), "private-app:compute.ec2.logRetentionDays"],
    ["a root volume below the AMI's", ec2({ rootVolumeGiB: 4 }), "private-app:compute.ec2.rootVolumeGiB"],
    ["a pool of 50 per instance", ec2({ dbPoolMax: 50 }), "private-app:compute.ec2.dbPoolMax"],
    // compute: ecs
    ["an image without a tag", ecs({ image: "nginx" }), "private-app:compute.ecs.image"],
    ["a CPU size Fargate lacks", ecs({ cpu: 300 }), "private-app:compute.ecs.cpu"],
    [
        "a memory size Fargate refuses with the CPU",
        ecs({ cpu: 1024, memoryMb: 512 }),
        "private-app:compute.ecs.memoryMb",
    ],
    ["an unknown task architecture", ecs({ architecture: "sparc" }), "private-app:compute.ecs.architecture"],
    ["no tasks", ecs({ minTasks: 0 }), "private-app:compute.ecs.minTasks"],
    ["too many tasks", ecs({ maxTasks: 2000 }), "private-app:compute.ecs.maxTasks"],
    ["more tasks at least than at most", ecs({ minTasks: 4, maxTasks: 2 }), "private-app:compute.ecs.minTasks"],
    ["a CPU target of 5 %", ecs({ cpuTargetPercent: 5 }), "private-app:compute.ecs.cpuTargetPercent"],
    ["no requests per target", ecs({ requestsPerTarget: 0 }), "private-app:compute.ecs.requestsPerTarget"],
    [
        "a task log retention CloudWatch refuses",
        ecs({ logRetentionDays: 31 }),
        "private-app:compute.ecs.logRetentionDays",
    ],
    ["a Spot share over 100 %", ecs({ fargateSpotPercent: 200 }), "private-app:compute.ecs.fargateSpotPercent"],
    ["keeping no image", ecs({ imageRetainCount: 0 }), "private-app:compute.ecs.imageRetainCount"],
    ["a task pool larger than the app allows", ecs({ dbPoolMax: 50 }), "private-app:compute.ecs.dbPoolMax"],
    [
        "an image retention with a given image",
        ecs({ image: IMAGE, imageRetainCount: 5 }),
        "private-app:compute.ecs.imageRetainCount",
    ],
    // compute: the public ALB
    [
        "a certificate that is not an ACM ARN",
        alb({ certificateArn: "my-cert" }),
        "private-app:compute.alb.certificateArn",
    ],
    [
        "a certificate of another region",
        alb({ certificateArn: CERT.replace("eu-west-1", "us-east-1") }),
        "private-app:compute.alb.certificateArn",
    ],
    [
        "a domain that is not one",
        alb({ certificateArn: CERT, domainName: "Not A Domain" }),
        "private-app:compute.alb.domainName",
    ],
    [
        "a zone id that is not one",
        alb({ domainName: "api.example.com", hostedZoneId: "zone" }),
        "private-app:compute.alb.hostedZoneId",
    ],
    [
        "a zone without a domain",
        alb({ certificateArn: CERT, hostedZoneId: "Z0123456789ABCDEFGHIJ" }),
        "private-app:compute.alb.domainName",
    ],
    [
        "a domain without its zone or a certificate",
        alb({ domainName: "api.example.com" }),
        "private-app:compute.alb.hostedZoneId",
    ],
    [
        "a WAF rate limit under 100",
        alb({ certificateArn: CERT, waf: true, wafRateLimit: 50 }),
        "private-app:compute.alb.wafRateLimit",
    ],
    [
        "a WAF rate limit without WAF",
        alb({ certificateArn: CERT, wafRateLimit: 500 }),
        "private-app:compute.alb.wafRateLimit",
    ],
    [
        "no days of access logs",
        alb({ certificateArn: CERT, accessLogs: true, accessLogRetentionDays: 0 }),
        "private-app:compute.alb.accessLogRetentionDays",
    ],
    [
        "an access log retention without access logs",
        alb({ certificateArn: CERT, accessLogRetentionDays: 30 }),
        "private-app:compute.alb.accessLogRetentionDays",
    ],
    ["an unknown ingress", compute({ ingress: "nlb" }), "private-app:compute.ingress"],
    ["lambda behind an ALB", compute({ ingress: "alb" }), "private-app:compute.ingress"],
    ["too little memory", lambda({ memoryMb: 64 }), "private-app:compute.lambda.memoryMb"],
    [
        "a timeout the HTTP API cannot wait for",
        lambda({ timeoutSeconds: 30 }),
        "private-app:compute.lambda.timeoutSeconds",
    ],
    [
        "negative reserved concurrency",
        lambda({ reservedConcurrency: -1 }),
        "private-app:compute.lambda.reservedConcurrency",
    ],
    [
        "a migration timeout under a minute",
        lambda({ migrationTimeoutSeconds: 30 }),
        "private-app:compute.lambda.migrationTimeoutSeconds",
    ],
    ["a pool larger than the app allows", lambda({ dbPoolMax: 50 }), "private-app:compute.lambda.dbPoolMax"],
    ["an unknown architecture", lambda({ architecture: "sparc" }), "private-app:compute.lambda.architecture"],
    ["an unsupported runtime", lambda({ runtime: "nodejs18.x" }), "private-app:compute.lambda.runtime"],
    ["an unknown tracing mode", lambda({ tracing: "on" }), "private-app:compute.lambda.tracing"],
    [
        "a function log retention CloudWatch refuses",
        lambda({ logRetentionDays: 31 }),
        "private-app:compute.lambda.logRetentionDays",
    ],
    [
        "an API timeout too short for a pausing database",
        { ...serverless({ engineVersion: "16.4", minCapacityAcu: 0 }), ...lambda({ timeoutSeconds: 15 }) },
        "private-app:compute.lambda.timeoutSeconds",
    ],
    [
        "a migration timeout too short for a pausing database",
        { ...serverless({ engineVersion: "16.4", minCapacityAcu: 0 }), ...lambda({ migrationTimeoutSeconds: 60 }) },
        "private-app:compute.lambda.migrationTimeoutSeconds",
    ],
    [
        "an access log retention CloudWatch refuses",
        api({ accessLogRetentionDays: 31 }),
        "private-app:compute.api.accessLogRetentionDays",
    ],
    ["a rate limit of 0", api({ throttlingRateLimit: 0 }), "private-app:compute.api.throttlingRateLimit"],
    ["a burst limit of 0", api({ throttlingBurstLimit: 0 }), "private-app:compute.api.throttlingBurstLimit"],
    [
        "an origin with a path",
        api({ corsAllowOrigins: ["https://app.example.com/x"] }),
        "private-app:compute.api.corsAllowOrigins[0]",
    ],
    [
        "* with an origin",
        api({ corsAllowOrigins: ["*", "https://app.example.com"] }),
        "private-app:compute.api.corsAllowOrigins",
    ],
    // database.backupPlan (lib/backup-plan.ts)
    ["a schedule that is not daily", backup({ schedule: "cron(0 1 ? * MON *)" }), `${BP}.schedule`],
    ["a start window under AWS's hour", backup({ startWindowMinutes: 30 }), `${BP}.startWindowMinutes`],
    [
        "a completion window no longer than the start window + 60",
        backup({ startWindowMinutes: 120, completionWindowMinutes: 150 }),
        `${BP}.completionWindowMinutes`,
    ],
    [
        "a backup during the RDS backup window",
        backup({ schedule: "cron(30 2 ? * * *)" }, { backupWindow: "03:00-04:00" }),
        `${BP}.schedule`,
    ],
    [
        "a backup in the hour before maintenance",
        backup({ schedule: "cron(0 10 ? * * *)" }, { maintenanceWindow: "wed:11:00-wed:12:00" }),
        `${BP}.schedule`,
    ],
    ["a retention of 0 days", backup({ retentionDays: 0 }), `${BP}.retentionDays`],
    ["a copy region that is not one", backup({ copyRegion: "eu-middle-9" }), `${BP}.copyRegion`],
    ["a copy in the stack's own region", backup({ copyRegion: "eu-west-1" }), `${BP}.copyRegion`],
    [
        "a copy retention of 40000 days",
        backup({ copyRegion: "eu-central-1", copyRetentionDays: 40000 }),
        `${BP}.copyRetentionDays`,
    ],
    ["a copy retention without a copy", backup({ copyRetentionDays: 7 }), `${BP}.copyRetentionDays`],
    ["an unknown lock mode", lock({ mode: "legal-hold" }), `${BP}.vaultLock.mode`],
    ["a lock minimum of 0", lock({ minRetentionDays: 0 }), `${BP}.vaultLock.minRetentionDays`],
    [
        "a lock maximum under its minimum",
        lock({ minRetentionDays: 30, maxRetentionDays: 10 }),
        `${BP}.vaultLock.maxRetentionDays`,
    ],
    [
        "a retention under the lock's minimum",
        lock({ minRetentionDays: 40 }, { retentionDays: 35 }),
        `${BP}.retentionDays`,
    ],
    [
        "a compliance lock changeable for 2 days",
        lock({ mode: "compliance", changeableForDays: 2, acknowledge: "irreversible" }),
        `${BP}.vaultLock.changeableForDays`,
    ],
    ["a compliance lock not acknowledged", lock({ mode: "compliance" }), `${BP}.vaultLock.acknowledge`],
    ["a governance lock with a lock date", lock({ changeableForDays: 3 }), `${BP}.vaultLock.changeableForDays`],
    // compute.api.auth: the JWT authorizer
    ["an http issuer", auth({ issuer: "http://idp.example.com" }), "private-app:compute.api.auth.issuer"],
    ["no audience", auth({ audiences: [] }), "private-app:compute.api.auth.audiences"],
    ["an audience twice", auth({ audiences: ["a", "a"] }), "private-app:compute.api.auth.audiences[1]"],
    ["a route key without a method", route({ route: "/api/notes" }), "private-app:compute.api.auth.routes[0].route"],
    ["a scoped health route", route({ route: "GET /health" }), "private-app:compute.api.auth.routes[0].route"],
    [
        "a route listed twice",
        auth({
            routes: [
                { route: "POST /api/notes", scopes: ["a"] },
                { route: "POST /api/notes", scopes: ["b"] },
            ],
        }),
        "private-app:compute.api.auth.routes[1].route",
    ],
    ["a route without scopes", route({ scopes: [] }), "private-app:compute.api.auth.routes[0].scopes"],
    // compute.alb.oidc: sign-in at the public ALB
    [
        "an OIDC endpoint over http",
        oidc({ tokenEndpoint: "http://auth.example.com/token" }),
        "private-app:compute.alb.oidc.tokenEndpoint",
    ],
    ["an empty OIDC client id", oidc({ clientId: " " }), "private-app:compute.alb.oidc.clientId"],
    ["an empty OIDC client secret", oidc({ clientSecret: "" }), "private-app:compute.alb.oidc.clientSecret"],
    ["an OIDC client secret in plain text", oidc({}), "private-app:compute.alb.oidc.clientSecret"],
    ["OIDC scopes without openid", oidc({ scope: "email" }), "private-app:compute.alb.oidc.scope"],
    [
        "an 8-day OIDC session",
        oidc({ sessionTimeoutSeconds: 691200 }),
        "private-app:compute.alb.oidc.sessionTimeoutSeconds",
    ],
    [
        "unauthenticated requests allowed through the ALB",
        oidc({ onUnauthenticatedRequest: "allow" }),
        "private-app:compute.alb.oidc.onUnauthenticatedRequest",
    ],
];

/**
 * Rules no config value can reach, each with why: the rule's key (the first string of its
 * call) and a phrase of its text.
 */
const NOT_FROM_CONFIG: { key: string; text: RegExp; because: string }[] = [
    { key: "name", text: /component name/, because: "the program names the database component" },
    {
        key: "isolatedSubnetIds",
        text: /DB subnet group|distinct|also listed/,
        because: "wiring: the network's subnets",
    },
    { key: "privateSubnetIds", text: /proxy/i, because: "wiring: the network's private subnets" },
    { key: "availabilityZones", text: /./, because: "wiring: the network's AZs" },
    { key: "alarmTopicArn", text: /./, because: "wiring: the alarm topic" },
    { key: "databasePort", text: /./, because: "the program gives the network the database's port" },
    { key: "corsAllowOrigins", text: /expected a list of origins/, because: "the schema already requires a list" },
    { key: "?", text: /expected a list of subnet ids/, because: "the schema already requires lists" },
    { key: "privateEgress", text: /expected true or false/, because: "the schema already requires a boolean" },
    { key: "routes", text: /expected a list such as/, because: "the schema already requires a list" },
];

function stackFile(patch: Patch): string {
    const config: Patch = {
        "aws:region": "eu-west-1",
        "private-app:database": { engine: "postgres" },
        "private-app:compute": { mode: "lambda" },
        ...patch,
    };
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "private-app-rule-"));
    const file = path.join(dir, "Pulumi.rule.yaml");
    fs.writeFileSync(file, stringify({ config }));
    return file;
}

function rejection(file: string): ConfigError | undefined {
    try {
        const stack = loadStack(ROOT, file);
        parseStackConfig(stack.config, { stack: stack.name });
    } catch (e) {
        if (ConfigError.isInstance(e)) return e;
        throw e;
    }
    return undefined;
}

interface Site {
    site: string;
    key: string;
    text: string;
}

/**
 * Every line of lib/*-plan.ts that raises a problem: calls of `problem()` and of the local
 * helpers that build one (`bad`, `wholeIn`, `oneOf`, `cidrProblem`), outside those helpers'
 * own bodies (there the site is their caller's line, as `Problem.site` records it).
 */
function staticSites(): Site[] {
    const out: Site[] = [];
    const call = /(^|[^\w.])(problem|bad|whole|wholeIn|oneOf|cidrProblem)\(/;
    for (const name of fs.readdirSync(path.join(ROOT, "lib")).filter((f) => f.endsWith("-plan.ts"))) {
        const lines = fs.readFileSync(path.join(ROOT, "lib", name), "utf8").split("\n");
        let helperEnd = -1;
        lines.forEach((line, i) => {
            if (i <= helperEnd) return;
            if (/^\s*(const bad = |const whole = |function (checker|cidrProblem|wholeIn)\b)/.test(line)) {
                // The helper's body ends at the next line indented no deeper than its start.
                const indent = /^\s*/.exec(line)![0].length;
                let j = i + 1;
                while (j < lines.length && (lines[j].trim() === "" || /^\s*/.exec(lines[j])![0].length > indent)) j++;
                helperEnd = /^\s*[})]/.test(lines[j] ?? "") ? j : j - 1;
                return;
            }
            if (!call.test(line) || /^\s*(import|export function|function)\b/.test(line)) return;
            const text = lines.slice(i, i + 6).join(" ");
            const from = text.search(/(problem|bad|whole|wholeIn|oneOf|cidrProblem)\(/);
            const key = /\(\s*[`"]([^`"$[]*)/.exec(text.slice(from))?.[1] ?? "?";
            out.push({ site: `lib/${name}:${i + 1}`, key, text });
        });
    }
    return out;
}

describe("config: every planner rule reaches the user as a config error", function () {
    this.timeout(120_000);
    const raised = new Map<string, { problems: readonly string[]; sites: readonly string[] }>();
    before(() => {
        for (const [what, patch] of CASES) {
            const e = rejection(stackFile(patch));
            raised.set(what, { problems: e?.problems ?? ["(accepted)"], sites: e?.sites ?? [] });
        }
    });

    for (const [what, , key] of CASES) {
        it(`${what}: ${key}`, () => {
            const { problems } = raised.get(what)!;
            const line = problems.find((p) => p.startsWith(`${key}: got `));
            assert.ok(line, `no problem names ${key}:\n${problems.join("\n")}`);
            assert.match(line, /: got .*; .*\. Fix: \S/);
            assert.ok(!/\n|\s+at \S+ \(/.test(line), "one line, no stack trace");
        });
    }

    it("covers every rule of every planner (a new rule needs a case above)", () => {
        const covered = new Set([...raised.values()].flatMap((r) => r.sites));
        const sites = staticSites();
        assert.ok(sites.length > 80, `only ${sites.length} rules found: the scan is broken`);
        const excused = (x: Site) => NOT_FROM_CONFIG.some((n) => n.key === x.key && n.text.test(x.text));
        const missing = sites.filter((x) => !covered.has(x.site) && !excused(x)).map((x) => `${x.site} (${x.key})`);
        assert.deepStrictEqual(missing, [], "rules no config case triggers");
        const reached = sites.filter((x) => covered.has(x.site) && excused(x)).map((x) => x.site);
        assert.deepStrictEqual(reached, [], "a rule listed as unreachable from config is reached");
        const unseen = [...covered].filter((c) => !sites.some((x) => x.site === c));
        assert.deepStrictEqual(unseen, [], "sites raised that the scan does not see (the scan is out of date)");
    });

    it("exits 2 through `npm run plan` for a rule of each planner, naming the key, with nothing on stdout", async () => {
        const sample = [
            "host bits set",
            "a bad VPC id",
            "a user name RDS reserves",
            "a bad email",
            "an instance type that does not exist",
            "an origin with a path",
            "too little memory",
        ];
        const results = await Promise.all(
            sample.map((what) => planCli([stackFile(CASES.find((c) => c[0] === what)![1]), "--json"])),
        );
        results.forEach((r, i) => {
            const key = CASES.find((c) => c[0] === sample[i])![2];
            assert.strictEqual(r.code, 2, `${sample[i]}: ${r.stderr}`);
            assert.strictEqual(r.stdout, "");
            assert.ok(
                r.stderr.split("\n").some((l) => l.startsWith(`${key}: got `)),
                r.stderr,
            );
            assert.ok(!/\s+at \S+ \(/.test(r.stderr), `a stack trace:\n${r.stderr}`);
        });
    });
});
