/**
 * The database migrations, shared by every compute mode: a function in the private subnets
 * with its own security group on the database's admin path (it logs in as the master user with
 * its password, which an RDS Proxy with IAM auth refuses), and an invocation that runs it on
 * the first deploy and whenever the migrations (or its code, or the database) change. The app
 * of any mode is deployed only after `invocation` succeeded (`dependsOn` it).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { hasInlineSourceMap, migrationEnvironment, migrationInvocationInput } from "../../lib/lambda-plan";
import type { DatabaseConnection } from "../contracts";
import { clientSecurityGroup } from "./client-security-group";
import { commonFunctionArgs, databaseEnvInputs, FunctionBundle, functionRole } from "./lambda-function";

export interface MigrationsArgs {
    vpcId: pulumi.Input<string>;
    vpcCidr: pulumi.Input<string>;
    privateSubnetIds: pulumi.Input<pulumi.Input<string>[]>;
    privateEgress: boolean;
    database: DatabaseConnection;
    bundle: FunctionBundle;
    /** Hex SHA-256 over the migrations; the migrations run again when it changes. */
    migrationsSha256: string;
    runtime: string;
    architecture: string;
    memoryMb: number;
    timeoutSeconds: number;
    logRetentionDays: number;
    tracing: boolean;
}

export interface Migrations {
    securityGroup: aws.ec2.SecurityGroup;
    logGroup: aws.cloudwatch.LogGroup;
    role: aws.iam.Role;
    function: aws.lambda.Function;
    /** What the app must wait for: it may need the new schema. */
    invocation: aws.lambda.Invocation;
}

/**
 * Declares the migrations under `parent`. Names (kept from before the compute layer, so that
 * deployed stacks keep their resources): the group `<name>-lambda`, the log group, role and
 * function `<name>-migrate`, the invocation `<name>-migrate`.
 */
export function createMigrations(parent: pulumi.Resource, name: string, a: MigrationsArgs): Migrations {
    const db = a.database;
    const group = clientSecurityGroup(parent, `${name}-lambda`, {
        vpcId: a.vpcId,
        vpcCidr: a.vpcCidr,
        privateEgress: a.privateEgress,
        database: db,
        path: "admin",
        // The text it had when the API shared this group: a security group's description cannot
        // change in place (AWS replaces the group), so deployed stacks keep theirs.
        description: "Lambda functions of the app",
    });
    const logGroup = new aws.cloudwatch.LogGroup(
        `${name}-migrate`,
        { retentionInDays: a.logRetentionDays },
        { parent },
    );
    const iam = functionRole(parent, name, "migrate", { logGroupArn: logGroup.arn, database: db, tracing: a.tracing });
    const port = db.port.apply((p) => String(p));

    const fn = new aws.lambda.Function(
        `${name}-migrate`,
        {
            ...commonFunctionArgs({ ...a, securityGroupId: group.id }, a.bundle, logGroup.name),
            role: iam.role.arn,
            description: "Applies the app's database migrations (invoked by the deployment)",
            timeout: a.timeoutSeconds,
            // No reserved concurrency: reserving even 1 fails in accounts whose concurrency quota
            // is the minimum (new accounts), and two runs never interleave anyway: the migration
            // runner holds a PostgreSQL advisory lock for the whole run.
            environment: {
                variables: migrationEnvironment(databaseEnvInputs(db), {
                    timeoutSeconds: a.timeoutSeconds,
                    sourceMaps: hasInlineSourceMap(a.bundle.code),
                }),
            },
        },
        { parent, dependsOn: [iam.policy] }, // the role must allow ENI creation before the function is created
    );

    // Run on the first deploy and whenever the payload changes. With the default lifecycleScope
    // CREATE_ONLY the provider invokes the function when the resource is created or replaced,
    // and a changed `input` forces a replacement (hashicorp/terraform-provider-aws
    // internal/service/lambda/invocation.go: customizeDiffInputChangeWithCreateOnlyScope). A
    // result with FunctionError fails the resource, and so the deploy ("invoking Lambda Function
    // (%s): %s" in `invoke`). CRUD is not used: it would also invoke on destroy, when the
    // database may be gone. `triggers` is not needed: everything that should re-run the
    // migrations is in `input`.
    const invocation = new aws.lambda.Invocation(
        `${name}-migrate`,
        {
            functionName: fn.name,
            lifecycleScope: "CREATE_ONLY",
            input: pulumi.jsonStringify(
                migrationInvocationInput({
                    migrationsSha256: a.migrationsSha256,
                    codeSha256: a.bundle.sha256,
                    host: db.adminHost,
                    port,
                    databaseName: db.databaseName,
                    iamAuth: db.iamAuth,
                    appUserSecretArn: db.iamAuth ? undefined : db.appUserSecretArn,
                }),
            ),
        },
        // The first run waits for the rules that let it connect (it would time out otherwise).
        { parent, dependsOn: [fn, iam.policy, ...group.rules] },
    );
    return { securityGroup: group.securityGroup, logGroup, role: iam.role, function: fn, invocation };
}
