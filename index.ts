/**
 * private-app: an application on AWS with its compute and its PostgreSQL database in private
 * subnets, reachable from the internet only through one public entry.
 *
 * The stack config chooses the compute mode and every size and safety setting; it is
 * validated as a whole before any resource is declared (lib/config.ts runs every planner), so
 * a mistake stops the run with one line per problem and nothing half-created. This file is
 * only the wiring: network → alarm topic → database → the compute mode.
 */
import * as pulumi from "@pulumi/pulumi";
import { bundleApp, bundleServer, dockerBuild } from "./app/build";
import { AlarmTopic } from "./components/alarm-topic";
import { BackupPlan } from "./components/backup-plan";
import { Ec2Service } from "./components/compute/ec2-service";
import { EcsService } from "./components/compute/ecs-service";
import { LambdaService } from "./components/compute/lambda-service";
import type { EntryServiceArgs } from "./components/compute/public-entry";
import { ComputeService } from "./components/compute/service";
import { NetworkOutputs } from "./components/contracts";
import { Database } from "./components/database";
import { existingNetwork } from "./components/existing-vpc";
import { Network } from "./components/network";
import { parseStackConfig } from "./lib/config";

const config = pulumi.runtime.allConfig();
// Which keys the stack keeps secure: the SDK's own check (exported by the runtime, though not
// in its typings). Without it no key counts as secure, so a secret in plain text is refused.
const isConfigSecret = (pulumi.runtime as unknown as { isConfigSecret?: (key: string) => boolean }).isConfigSecret;
const settings = parseStackConfig(config, {
    stack: pulumi.getStack(),
    secretKeys: Object.keys(config).filter((k) => isConfigSecret?.(k) === true),
});

const alarms = new AlarmTopic("alarms", {
    emails: settings.alarms.emails,
    kmsMasterKeyId: settings.alarms.kmsKeyArn,
});

const network: NetworkOutputs =
    settings.network.kind === "new"
        ? new Network("net", settings.network.options)
        : existingNetwork("net", settings.network.options);

const database = new Database("db", {
    ...settings.database,
    vpcId: network.vpcId,
    isolatedSubnetIds: network.isolatedSubnetIds,
    privateSubnetIds: network.privateSubnetIds,
    alarmTopicArn: alarms.topicArn,
    alarms: settings.alarms,
});

/**
 * `database.backupPlan`: an AWS Backup plan kept apart from the database (its own vault, key and
 * protection), of exactly this database: the RDS instance, or the Aurora cluster.
 */
const backup = settings.backupPlan
    ? new BackupPlan("db-backup", {
          ...settings.backupPlan.options,
          resourceArn: database.instance ? database.instance.arn : database.cluster!.arn,
          deletionProtection: settings.databasePlan.deletionProtection,
      })
    : undefined;

/** What the ecs and ec2 services share: the public entry, the network, the database, the migrations. */
function behindEntry(compute: Extract<typeof settings.compute, { mode: "ecs" | "ec2" }>): EntryServiceArgs {
    const code = bundleApp();
    return {
        ingress: compute.ingress,
        alb: compute.alb,
        api: compute.api,
        vpcId: network.vpcId,
        vpcCidr: network.vpcCidr,
        publicSubnetIds: network.publicSubnetIds,
        privateSubnetIds: network.privateSubnetIds,
        privateEgress: network.privateEgress,
        database: database.connection,
        alarmTopicArn: alarms.topicArn,
        migrations: { bundle: code.migrate, migrationsSha256: code.migrationsSha256 },
    };
}

function deployCompute(): ComputeService {
    const compute = settings.compute;
    switch (compute.mode) {
        case "lambda": {
            const service = new LambdaService("app", {
                ...compute.lambda,
                ...compute.api,
                vpcId: network.vpcId,
                vpcCidr: network.vpcCidr,
                privateSubnetIds: network.privateSubnetIds,
                privateEgress: network.privateEgress,
                database: database.connection,
                alarmTopicArn: alarms.topicArn,
                code: bundleApp(),
            });
            return {
                mode: "lambda",
                url: service.url,
                securityGroupId: service.securityGroupId,
                deployed: { api: service.apiFunctionName, migrations: service.migrationFunctionName },
            };
        }
        case "ecs": {
            const service = new EcsService("app", {
                ...compute.ecs,
                ...behindEntry(compute),
                // Built only when compute.ecs.image is unset (CI always sets it).
                build: compute.ecs.image === undefined ? dockerBuild() : undefined,
            });
            return {
                mode: "ecs",
                url: service.url,
                securityGroupId: service.securityGroupId,
                deployed: {
                    cluster: service.clusterName,
                    service: service.serviceName,
                    migrations: service.migrationFunctionName,
                },
                image: service.image,
            };
        }
        case "ec2": {
            const service = new Ec2Service("app", {
                ...compute.ec2,
                ...behindEntry(compute),
                server: bundleServer(),
            });
            return {
                mode: "ec2",
                url: service.url,
                securityGroupId: service.securityGroupId,
                deployed: {
                    autoScalingGroup: service.groupName,
                    artifact: service.artifact,
                    migrations: service.migrationFunctionName,
                },
            };
        }
    }
}

const compute = deployCompute();

/** The public entry: the only address of the stack reachable from the internet. */
export const url = compute.url;
export const computeMode = compute.mode;
/** Names of what runs the app and its migrations, by role (functions, services, groups). */
export const deployed = compute.deployed;
/** The Lambda functions deployed: the API's (lambda mode) and the migrations' (every mode). */
export const functionNames = compute.mode === "lambda" ? compute.deployed : { migrations: compute.deployed.migrations };
/**
 * The container image the app runs (container modes; null for lambda, rather than an undefined
 * output Pulumi warns about); CI pins it in previews and drift checks.
 */
export const image = compute.image ?? null;
/** The security group the app runs in. */
export const appSecurityGroupId = compute.securityGroupId;
export const vpcId = network.vpcId;
export const privateSubnetIds = network.privateSubnetIds;
export const isolatedSubnetIds = network.isolatedSubnetIds;
/** Where the application connects (the proxy when enabled); never a password. */
export const db = {
    engine: settings.databasePlan.engine,
    host: database.connection.host,
    port: database.connection.port,
    name: database.connection.databaseName,
    appUser: database.connection.appUsername,
    masterSecretArn: database.connection.masterSecretArn,
    iamAuth: database.connection.iamAuth,
    /** With `database.bastion: true`: the `aws ssm start-session` command for a local tunnel. */
    portForwardCommand: database.portForwardCommand,
};
export const alarmTopicArn = alarms.topicArn;
/** With `database.backupPlan`: the vault(s) holding the recovery points (restore from these). */
export const backupVaults = backup ? { vaultArn: backup.vaultArn, copyVaultArn: backup.copyVaultArn ?? null } : null;
