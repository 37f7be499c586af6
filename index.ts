/**
 * private-app: an application on AWS with its compute and its PostgreSQL database in private
 * subnets, reachable from the internet only through one public entry.
 *
 * The stack config chooses the compute mode and every size and safety setting; it is
 * validated as a whole before any resource is declared (lib/config.ts), so a mistake stops
 * the run with one line per problem and nothing half-created.
 */
import * as pulumi from "@pulumi/pulumi";
import { bundleApp } from "./app/build";
import { AlarmTopic } from "./components/alarm-topic";
import { Database } from "./components/database";
import { LambdaService } from "./components/lambda-service";
import { Network } from "./components/network";
import { parseStackConfig } from "./lib/config";

const settings = parseStackConfig(pulumi.runtime.allConfig());

const alarms = new AlarmTopic("alarms", { emails: settings.alarms.emails });

const network = new Network("net", settings.network);

const database = new Database("db", {
    ...settings.database,
    vpcId: network.vpcId,
    isolatedSubnetIds: network.isolatedSubnetIds,
    privateSubnetIds: network.privateSubnetIds,
    alarmTopicArn: alarms.topicArn,
    alarms: settings.alarms,
});

function deployCompute(): { url: pulumi.Output<string>; functions: Record<string, pulumi.Output<string>> } {
    switch (settings.compute.mode) {
        case "lambda": {
            const service = new LambdaService("app", {
                ...settings.compute.lambda,
                ...settings.compute.api,
                vpcId: network.vpcId,
                vpcCidr: network.vpcCidr,
                privateSubnetIds: network.privateSubnetIds,
                privateEgress: network.privateEgress,
                database: database.connection,
                alarmTopicArn: alarms.topicArn,
                code: bundleApp(),
            });
            return {
                url: service.url,
                functions: { api: service.apiFunctionName, migrations: service.migrationFunctionName },
            };
        }
        case "ecs":
        case "ec2":
            // Rejected by parseStackConfig ("not available yet"); unreachable until the
            // components exist.
            throw new Error(`compute mode ${settings.compute.mode} is not available yet`);
    }
}

const compute = deployCompute();

/** The public entry: the only address of the stack reachable from the internet. */
export const url = compute.url;
export const computeMode = settings.compute.mode;
export const functionNames = compute.functions;
export const vpcId = network.vpcId;
export const privateSubnetIds = network.privateSubnetIds;
export const isolatedSubnetIds = network.isolatedSubnetIds;
/** Where the application connects (the proxy when enabled); never a password. */
export const db = {
    engine: settings.database.engine,
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
