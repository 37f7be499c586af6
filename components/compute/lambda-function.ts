/**
 * What every function of the stack shares (the app's API function and the migration
 * function, whatever the compute mode): an owned log group, an execution role with one inline
 * least-privilege policy, and the common function arguments (private subnets, JSON logs).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import {
    type DatabaseEnvInputs,
    CODE_FILE,
    databaseAccess,
    type DatabaseSecret,
    functionPolicy,
    type FunctionRole,
    HANDLER,
    lambdaAssumeRolePolicy,
} from "../../lib/lambda-plan";
import type { DatabaseConnection } from "../contracts";

/** What the app's environment is built from, for any client of this database (values as outputs). */
export function databaseEnvInputs(db: DatabaseConnection): DatabaseEnvInputs<pulumi.Output<string>> {
    return {
        host: db.host,
        adminHost: db.adminHost,
        port: db.port.apply((p) => String(p)),
        databaseName: db.databaseName,
        appUsername: db.appUsername,
        iamAuth: db.iamAuth,
        masterSecretArn: db.masterSecretArn,
        appUserSecretArn: db.appUserSecretArn,
        pausable: db.pausable,
    };
}

/** One bundled function: the complete CommonJS module and its SHA-256. */
export interface FunctionBundle {
    /** The module, deployed as `index.js` with handler `index.handler`. */
    code: string;
    /** Hex SHA-256 of `code` (UTF-8); checked against `code`. */
    sha256: string;
}

/** Declares `<name>-<fn>` role and its policy: logs to that group, the secrets and IAM auth `fn` needs. */
export function functionRole(
    parent: pulumi.Resource,
    name: string,
    fn: FunctionRole,
    a: { logGroupArn: pulumi.Output<string>; database: DatabaseConnection; tracing: boolean },
): { role: aws.iam.Role; policy: aws.iam.RolePolicy } {
    const db = a.database;
    const access = databaseAccess(fn, db.iamAuth);
    const secretArn: Record<DatabaseSecret, () => pulumi.Output<string>> = {
        master: () => db.masterSecretArn,
        appUser: () => db.appUserSecretArn!,
    };
    const role = new aws.iam.Role(
        `${name}-${fn}`,
        {
            description:
                fn === "api"
                    ? "Execution role of the app's API function"
                    : "Execution role of the app's migration function",
            assumeRolePolicy: JSON.stringify(lambdaAssumeRolePolicy()),
        },
        { parent },
    );
    const policy = new aws.iam.RolePolicy(
        `${name}-${fn}`,
        {
            role: role.id,
            policy: pulumi
                .all([
                    a.logGroupArn,
                    pulumi.all(access.secrets.map((s) => secretArn[s]())),
                    pulumi.all(db.secretKmsKeyArns),
                    pulumi.all(access.rdsConnect ? [db.iamConnectArn(db.appUsername)] : []),
                ])
                .apply(([logs, secretArns, kmsKeyArns, rdsConnectArns]) =>
                    JSON.stringify(
                        functionPolicy({
                            logGroupArn: logs,
                            secretArns,
                            kmsKeyArns,
                            rdsConnectArns,
                            tracing: a.tracing,
                        }),
                    ),
                ),
        },
        { parent },
    );
    return { role, policy };
}

export interface CommonFunctionArgs {
    runtime: string;
    architecture: string;
    memoryMb: number;
    tracing: boolean;
    privateSubnetIds: pulumi.Input<pulumi.Input<string>[]>;
    securityGroupId: pulumi.Input<string>;
}

/** The arguments every function shares: code, runtime, private subnets, JSON logs to its own group. */
export function commonFunctionArgs(
    c: CommonFunctionArgs,
    bundle: FunctionBundle,
    logGroupName: pulumi.Output<string>,
): Partial<aws.lambda.FunctionArgs> {
    return {
        runtime: c.runtime,
        architectures: [c.architecture],
        handler: HANDLER,
        code: new pulumi.asset.AssetArchive({ [CODE_FILE]: new pulumi.asset.StringAsset(bundle.code) }),
        sourceCodeHash: bundle.sha256,
        memorySize: c.memoryMb,
        vpcConfig: { subnetIds: c.privateSubnetIds, securityGroupIds: [c.securityGroupId] },
        // On delete the provider first moves the function to the VPC's default group, so the
        // Lambda ENIs (released up to ~20-40 min after the function is gone) no longer hold
        // this component's security group: its deletion is not stuck behind them
        // (pulumi/pulumi-aws#2642, #4382; hashicorp/terraform-provider-aws
        // internal/service/lambda/function.go replaceSecurityGroupsOnDestroy).
        replaceSecurityGroupsOnDestroy: true,
        loggingConfig: { logFormat: "JSON", logGroup: logGroupName },
        ...(c.tracing ? { tracingConfig: { mode: "Active" } } : {}),
    };
}
