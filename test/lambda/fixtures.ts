/**
 * Test doubles for the LambdaService tests: a fake `DatabaseConnection` that records its
 * `allowFrom` / `allowAdminFrom` calls and declares the ingress rules the real one would, literal
 * network ids, small code bundles with their real hashes, and each registration's dependencies
 * as the recording mocks recorded them.
 */
import * as assert from "assert";
import * as crypto from "crypto";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { DatabaseConnection } from "../../components/contracts";
import type { LambdaServiceArgs, LambdaServiceCode } from "../../components/compute/lambda-service";
import { currentRecordingMocks } from "../../tools/mocks";

export const ACCOUNT = "123456789012";
export const REGION = "eu-west-1";
export const VPC_ID = "vpc-0a1b2c3d4e5f60718";
export const VPC_CIDR = "10.20.0.0/16";
export const PRIVATE_SUBNETS = ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0bbbbbbbbbbbbbbb2"];
export const ALARM_TOPIC = `arn:aws:sns:${REGION}:${ACCOUNT}:alarms`;

export const DB_HOST = "app-db.cabcdefghijk.eu-west-1.rds.amazonaws.com";
export const DB_SG = "sg-0db0db0db0db0db01";
/** The proxy's endpoint and group, when the fake database is `proxied`. */
export const PROXY_HOST = "app-db-proxy.proxy-cabcdefghijk.eu-west-1.rds.amazonaws.com";
export const PROXY_SG = "sg-0bb0bb0bb0bb0bb02";
export const MASTER_SECRET_ARN = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:rds!db-1234-AbCdEf`;
export const APP_SECRET_ARN = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:app-db-app-user-XyZ123`;
export const KMS_KEY_ARN = `arn:aws:kms:${REGION}:${ACCOUNT}:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0`;
export const DB_RESOURCE_ID = "db-ABCDEFGHIJKLMNOPQRSTUVWXYZ";
export const connectArn = (user: string) => `arn:aws:rds-db:${REGION}:${ACCOUNT}:dbuser:${DB_RESOURCE_ID}/${user}`;

/** What the secrets would hold: no input of any resource may contain these. */
export const FAKE_MASTER_PASSWORD = "master-PASSWORD-do-not-leak-1";
export const FAKE_APP_PASSWORD = "app-PASSWORD-do-not-leak-2";

export interface FakeDatabase extends DatabaseConnection {
    /** `allowFrom` calls, with the source security group resolved when settled. */
    readonly allowed: { name: string; source: pulumi.Output<string> }[];
    /** `allowAdminFrom` calls, likewise. */
    readonly adminAllowed: { name: string; source: pulumi.Output<string> }[];
}

/**
 * A fake connection. Without `proxied`, host and group are the database's (`DB_HOST`, `DB_SG`)
 * on both paths; with it, the client path is the proxy's (`PROXY_HOST`, `PROXY_SG`) and the
 * admin path the database's. Rules are named `<client>-to-db` (client path) and
 * `<client>-to-db-admin` (admin path behind the proxy); without a proxy both paths share one
 * rule, as in the real component.
 */
export function fakeDatabase(
    options: {
        iamAuth?: boolean;
        kmsKeyArns?: string[];
        withAppSecret?: boolean;
        proxied?: boolean;
        pausable?: boolean;
    } = {},
): FakeDatabase {
    const iamAuth = options.iamAuth ?? true;
    const withAppSecret = options.withAppSecret ?? !iamAuth;
    const proxied = options.proxied ?? false;
    const allowed: FakeDatabase["allowed"] = [];
    const adminAllowed: FakeDatabase["adminAllowed"] = [];
    const rules = new Map<string, aws.vpc.SecurityGroupIngressRule>();
    // Like the real component: one ingress rule on the target group, on its port.
    const rule = (ruleName: string, securityGroupId: string, source: pulumi.Input<string>) => {
        const existing = rules.get(ruleName);
        if (existing) return existing;
        const r = new aws.vpc.SecurityGroupIngressRule(ruleName, {
            securityGroupId,
            ipProtocol: "tcp",
            fromPort: 5432,
            toPort: 5432,
            referencedSecurityGroupId: source,
        });
        rules.set(ruleName, r);
        return r;
    };
    return {
        host: pulumi.output(proxied ? PROXY_HOST : DB_HOST),
        adminHost: pulumi.output(DB_HOST),
        proxied,
        port: pulumi.output(5432),
        databaseName: "app",
        masterUsername: "app_admin",
        masterSecretArn: pulumi.output(MASTER_SECRET_ARN),
        appUsername: "app_user",
        appUserSecretArn: withAppSecret ? pulumi.output(APP_SECRET_ARN) : undefined,
        iamAuth,
        pausable: options.pausable ?? false,
        iamConnectArn: (user: string) => pulumi.output(connectArn(user)),
        secretKmsKeyArns: (options.kmsKeyArns ?? []).map((k) => pulumi.output(k)),
        securityGroupId: pulumi.output(proxied ? PROXY_SG : DB_SG),
        adminSecurityGroupId: pulumi.output(DB_SG),
        allowed,
        adminAllowed,
        allowFrom(name: string, sourceSecurityGroupId: pulumi.Input<string>) {
            allowed.push({ name, source: pulumi.output(sourceSecurityGroupId) });
            return rule(`${name}-to-db`, proxied ? PROXY_SG : DB_SG, sourceSecurityGroupId);
        },
        allowAdminFrom(name: string, sourceSecurityGroupId: pulumi.Input<string>) {
            adminAllowed.push({ name, source: pulumi.output(sourceSecurityGroupId) });
            return rule(proxied ? `${name}-to-db-admin` : `${name}-to-db`, DB_SG, sourceSecurityGroupId);
        },
    };
}

export function sha256(text: string): string {
    return crypto.createHash("sha256").update(text, "utf8").digest("hex");
}

export function bundle(code: string) {
    return { code, sha256: sha256(code) };
}

export const API_CODE = 'exports.handler = async () => ({ statusCode: 200, body: "ok" });\n';
export const MIGRATE_CODE = "exports.handler = async () => ({ applied: [], skipped: 0 });\n";
export const MIGRATIONS_SHA = sha256("0001_create_notes.sql");

export function code(overrides: Partial<LambdaServiceCode> = {}): LambdaServiceCode {
    return { api: bundle(API_CODE), migrate: bundle(MIGRATE_CODE), migrationsSha256: MIGRATIONS_SHA, ...overrides };
}

export function baseArgs(database: DatabaseConnection, overrides: Partial<LambdaServiceArgs> = {}): LambdaServiceArgs {
    return {
        vpcId: VPC_ID,
        vpcCidr: VPC_CIDR,
        privateSubnetIds: PRIVATE_SUBNETS,
        privateEgress: true,
        database,
        alarmTopicArn: ALARM_TOPIC,
        code: code(),
        ...overrides,
    };
}

/**
 * The dependency URNs the SDK sent with each registration (explicit `dependsOn` and inputs), by
 * `type::name`, read from what the recording mocks recorded (call after `useMocks`; read after
 * `settle`).
 */
export function recordDependencies(): Map<string, string[]> {
    const mocks = currentRecordingMocks() ?? assert.fail("recordDependencies: install the recording mocks first");
    const find = (key: string) => mocks.resources.find((r) => `${r.type}::${r.name}` === key);
    return new (class extends Map<string, string[]> {
        get(key: string) {
            return find(key)?.dependencies;
        }
        has(key: string) {
            return find(key) !== undefined;
        }
    })();
}
