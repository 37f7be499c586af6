/**
 * Pure planning for the `ec2` compute mode (`Ec2Service`): defaults, every rule on
 * `compute.ec2`, the boot budget behind the health-check grace period, the AMI parameter, the
 * artifact's object key, the instance role's policy, the instance refresh preferences and the
 * alarm specifications.
 *
 * The public entry (ALB, or HTTP API + VPC link + internal ALB) is the one the `ecs` mode
 * uses; its options and rules stay in lib/ecs-plan.ts.
 *
 * No Pulumi resource declarations and no Pulumi runtime calls. Functions carrying values the
 * component only knows as outputs are generic over the value type `T`.
 */
import { type AlarmSpec, type ExpressionAlarmSpec, loadBalancerAlarmSpecs } from "./alarm-spec";
import { DEFAULT_SERVER_PORT } from "../app/contract";
import { LOG_RETENTION_DAYS } from "./aws-facts";
import { taskRolePolicy } from "./ecs-plan";
import { EC2_ARCHITECTURES, EC2_FAMILIES, type Ec2Architecture, instanceTypeArchitecture } from "./ec2-instance-types";
import type { PolicyDocument } from "./lambda-plan";
import { Problem, problem } from "./problems";

// ---------------------------------------------------------------------------------------------
// The boot budget
// ---------------------------------------------------------------------------------------------
/**
 * How long a new instance may take from launch until the load balancer counts it healthy,
 * in seconds, part by part. The health-check grace period must cover all of it: an instance
 * the ASG checks before its app listens is marked unhealthy and replaced, so a too-short grace
 * period makes every launch (and every instance refresh) loop.
 *
 * - `boot` (60 s): the AL2023 kernel, systemd and cloud-init up to the user data script
 *   (typically 20-40 s on Nitro instances; the rest is margin for burstable types).
 * - `packages` (90 s): `dnf install nodejs22 amazon-cloudwatch-agent` from the regional
 *   Amazon Linux repositories (served from S3, so through the S3 gateway endpoint without NAT):
 *   metadata and about 40 MB of packages.
 * - `artifact` (15 s): the server bundle from S3 (under 1 MB), its SHA-256 check, the agent's
 *   and the unit's start, and Node.js loading the bundle (well under a second).
 * - `healthChecks` (30 s): the target group's `healthyThreshold` (2) checks `interval` (15 s)
 *   apart on the liveness path (see public-entry.ts).
 */
export const EC2_BOOT_BUDGET = { boot: 60, packages: 90, artifact: 15, healthChecks: 30 } as const;
/** The least health-check grace period allowed: the sum of {@link EC2_BOOT_BUDGET} (195 s). */
export const MIN_HEALTH_CHECK_GRACE_SECONDS = Object.values(EC2_BOOT_BUDGET).reduce((a, b) => a + b, 0);

// ---------------------------------------------------------------------------------------------
// Defaults
// ---------------------------------------------------------------------------------------------
/** The defaults the `@default` tags of {@link Ec2Options} document (a test checks both agree). */
export const EC2_DEFAULTS = {
    instanceType: "t4g.small",
    minSize: 2,
    maxSize: 4,
    /** About 1.5 times the boot budget: room for a slow package mirror. */
    healthCheckGracePeriodSeconds: 300,
    minHealthyPercentage: 100,
    cpuTargetPercent: 60,
    requestsPerTarget: 500,
    logRetentionDays: 30,
    rootVolumeGiB: 8,
    port: DEFAULT_SERVER_PORT,
} as const;

/** Sizes of the root volume: AL2023's AMI snapshot is 8 GiB, a volume cannot be smaller. */
export const ROOT_VOLUME_GIB_RANGE = { min: 8, max: 1024 } as const;
export const HEALTH_CHECK_GRACE_SECONDS_MAX = 3600;

/** The Node.js major version the instances install from the distribution (AL2023's `nodejs22`). */
export const NODE_MAJOR = 22;

/**
 * How long systemd waits after SIGTERM before killing the app: the server drains in-flight
 * requests for up to 20 s (`SHUTDOWN_GRACE_MS`, app/src/server.ts), as in the ecs task's
 * `stopTimeout`; the target group's deregistration delay (30 s) covers the same window.
 */
export const STOP_TIMEOUT_SECONDS = 30;

/**
 * The public SSM parameter holding the latest Amazon Linux 2023 AMI for an architecture
 * ("Query for the latest Amazon Linux AMI IDs using AWS Systems Manager Parameter Store",
 * Amazon Linux 2023 User Guide). The component reads it at deploy time (an `aws.ssm.getParameter`
 * invoke), see components/compute/ec2-service.ts for why not `resolve:ssm:` in the template.
 */
export function al2023AmiParameter(arch: Ec2Architecture): string {
    return `/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-${arch}`;
}

/** The artifact's object key: the server bundle's SHA-256 in it, so a new bundle is a new object. */
export function artifactKey(sha256: string): string {
    return `server/${sha256}.js`;
}

// ---------------------------------------------------------------------------------------------
// Options
// ---------------------------------------------------------------------------------------------
/** The `compute.ec2` config object: the Auto Scaling group. */
export interface Ec2Options {
    /**
     * EC2 instance type, one of lib/ec2-instance-types.ts (Graviton `g` families are arm64).
     * @default "t4g.small"
     */
    instanceType?: string;
    /**
     * CPU architecture; when set it must be the instance type's (the AMI is chosen by it).
     * @default - the instance type's
     */
    architecture?: Ec2Architecture;
    /**
     * Fewest instances; 2 or more spreads them over AZs.
     * @default 2
     */
    minSize?: number;
    /**
     * Most instances autoscaling may run.
     * @default 4
     */
    maxSize?: number;
    /**
     * Instances at creation, from minSize to maxSize (autoscaling owns the count afterwards).
     * @default - minSize
     */
    desiredCapacity?: number;
    /**
     * Seconds after launch before the ELB health check counts; at least the boot budget (195 s).
     * @default 300
     */
    healthCheckGracePeriodSeconds?: number;
    /**
     * Instance refresh: share of the desired capacity kept healthy while the fleet is replaced
     * (100: new instances are launched before old ones are terminated).
     * @default 100
     */
    minHealthyPercentage?: number;
    /**
     * Target of the CPU target-tracking policy (average CPU of the group, percent).
     * @default 60
     */
    cpuTargetPercent?: number;
    /**
     * Target of the request-count policy (requests per instance per minute; ALB ingress only).
     * @default 500
     */
    requestsPerTarget?: number;
    /**
     * Retention of the app's log group (days).
     * @default 30
     */
    logRetentionDays?: number;
    /**
     * Size of the encrypted gp3 root volume (GiB), 8 to 1024.
     * @default 8
     */
    rootVolumeGiB?: number;
    /**
     * Database connections per instance (`DB_POOL_MAX`), 1 to 20.
     * @default - the app's own default (2)
     */
    dbPoolMax?: number;
}

// ---------------------------------------------------------------------------------------------
// Rules
// ---------------------------------------------------------------------------------------------
function wholeIn(problems: Problem[], key: string, value: unknown, min: number, max: number): void {
    if (value === undefined) return;
    if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max)
        problems.push(problem(key, value, `expected a whole number from ${min} to ${max}`, `set ${key} in that range`));
}

/** The instance type and architecture the options resolve to (defaults applied). */
export function resolveEc2Architecture(o: Ec2Options): Ec2Architecture {
    return instanceTypeArchitecture(o.instanceType ?? EC2_DEFAULTS.instanceType) ?? o.architecture ?? "arm64";
}

/** Validates `compute.ec2`. */
export function planEc2(o: Ec2Options): Problem[] {
    const problems: Problem[] = [];
    const d = EC2_DEFAULTS;
    const type = o.instanceType ?? d.instanceType;
    const typeArch = typeof type === "string" ? instanceTypeArchitecture(type) : undefined;
    if (typeArch === undefined)
        problems.push(
            problem(
                "instanceType",
                o.instanceType,
                `expected an instance type of the families ${EC2_FAMILIES.join(", ")} (lib/ec2-instance-types.ts), such as t4g.small or m7g.large`,
                "set compute.ec2.instanceType to one (or add its family to lib/ec2-instance-types.ts)",
            ),
        );
    if (o.architecture !== undefined) {
        if (!(EC2_ARCHITECTURES as readonly string[]).includes(o.architecture))
            problems.push(
                problem(
                    "architecture",
                    o.architecture,
                    `expected ${EC2_ARCHITECTURES.join(" or ")}`,
                    "set one of them",
                ),
            );
        else if (typeArch !== undefined && typeArch !== o.architecture)
            problems.push(
                problem(
                    "architecture",
                    o.architecture,
                    `${type} is ${typeArch}; the AMI (al2023-ami-kernel-default-${o.architecture}) would not boot on it`,
                    `set compute.ec2.architecture to ${typeArch} or remove it, or pick an ${o.architecture} instance type`,
                ),
            );
    }
    wholeIn(problems, "minSize", o.minSize, 1, 1000);
    wholeIn(problems, "maxSize", o.maxSize, 1, 1000);
    wholeIn(problems, "desiredCapacity", o.desiredCapacity, 1, 1000);
    const min = o.minSize ?? d.minSize;
    const max = o.maxSize ?? d.maxSize;
    if (typeof min === "number" && typeof max === "number" && min > max)
        problems.push(
            problem(
                "minSize",
                min,
                `must not exceed maxSize (${max})`,
                "lower compute.ec2.minSize or raise compute.ec2.maxSize",
            ),
        );
    else if (
        typeof o.desiredCapacity === "number" &&
        typeof min === "number" &&
        typeof max === "number" &&
        (o.desiredCapacity < min || o.desiredCapacity > max)
    )
        problems.push(
            problem(
                "desiredCapacity",
                o.desiredCapacity,
                `must be from minSize (${min}) to maxSize (${max})`,
                "set compute.ec2.desiredCapacity in that range, or remove it (minSize)",
            ),
        );
    const grace = o.healthCheckGracePeriodSeconds;
    if (grace !== undefined) {
        if (typeof grace !== "number" || !Number.isInteger(grace) || grace > HEALTH_CHECK_GRACE_SECONDS_MAX)
            problems.push(
                problem(
                    "healthCheckGracePeriodSeconds",
                    grace,
                    `expected a whole number of seconds from ${MIN_HEALTH_CHECK_GRACE_SECONDS} to ${HEALTH_CHECK_GRACE_SECONDS_MAX}`,
                    "set it in that range",
                ),
            );
        else if (grace < MIN_HEALTH_CHECK_GRACE_SECONDS)
            problems.push(
                problem(
                    "healthCheckGracePeriodSeconds",
                    grace,
                    `too short for an instance to boot: the boot budget is ${MIN_HEALTH_CHECK_GRACE_SECONDS} s (${Object.entries(
                        EC2_BOOT_BUDGET,
                    )
                        .map(([k, v]) => `${k} ${v} s`)
                        .join(" + ")}); a shorter grace period replaces instances before their app listens`,
                    `set compute.ec2.healthCheckGracePeriodSeconds to ${MIN_HEALTH_CHECK_GRACE_SECONDS} or more (default ${d.healthCheckGracePeriodSeconds})`,
                ),
            );
    }
    wholeIn(problems, "minHealthyPercentage", o.minHealthyPercentage, 0, 100);
    wholeIn(problems, "cpuTargetPercent", o.cpuTargetPercent, 10, 95);
    wholeIn(problems, "requestsPerTarget", o.requestsPerTarget, 1, 100000);
    if (o.logRetentionDays !== undefined && !(LOG_RETENTION_DAYS as readonly unknown[]).includes(o.logRetentionDays))
        problems.push(
            problem("logRetentionDays", o.logRetentionDays, "expected a CloudWatch Logs retention", "set 30 or 90"),
        );
    wholeIn(problems, "rootVolumeGiB", o.rootVolumeGiB, ROOT_VOLUME_GIB_RANGE.min, ROOT_VOLUME_GIB_RANGE.max);
    wholeIn(problems, "dbPoolMax", o.dbPoolMax, 1, 20);
    return problems;
}

// ---------------------------------------------------------------------------------------------
// Instance refresh
// ---------------------------------------------------------------------------------------------
/**
 * The group's instance refresh preferences. AWS requires `maxHealthyPercentage` from 100 to 200
 * and at most 100 above `minHealthyPercentage` ("Understand the default values for an instance
 * refresh", Amazon EC2 Auto Scaling User Guide): with the default 100 the refresh launches new
 * instances first (up to twice the desired capacity) and never drops below the running count.
 * Auto rollback needs a numbered launch template version and an AMI id (not an SSM parameter):
 * the component gives both.
 */
export function instanceRefreshPreferences(o: { minHealthyPercentage: number; warmupSeconds: number }) {
    return {
        minHealthyPercentage: o.minHealthyPercentage,
        maxHealthyPercentage: Math.min(200, o.minHealthyPercentage + 100),
        instanceWarmup: String(o.warmupSeconds),
        autoRollback: true,
        skipMatching: false,
    };
}

// ---------------------------------------------------------------------------------------------
// IAM
// ---------------------------------------------------------------------------------------------
/**
 * The instance role's own policy (the managed `AmazonSSMManagedInstanceCore` is attached beside
 * it for Session Manager): read exactly the planned artifact object, write the app's log group
 * (the CloudWatch agent creates its streams and puts events), and the app's database access
 * (`rds-db:connect` with IAM auth, else reading the app user's secret), as the ecs task role.
 */
export function instanceRolePolicy<T>(i: {
    artifactObjectArn: T;
    logGroupArn: T;
    iamAuth: boolean;
    connectArn: T;
    appUserSecretArn?: T;
    secretKmsKeyArns: readonly T[];
}): PolicyDocument {
    const db = taskRolePolicy({
        iamAuth: i.iamAuth,
        connectArn: i.connectArn,
        appUserSecretArn: i.appUserSecretArn,
        secretKmsKeyArns: i.secretKmsKeyArns,
        execCommand: false,
    });
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "FetchArtifact",
                Effect: "Allow",
                Action: ["s3:GetObject"],
                Resource: [i.artifactObjectArn as unknown as string],
            },
            {
                Sid: "WriteAppLogs",
                Effect: "Allow",
                Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                Resource: [`${i.logGroupArn as unknown as string}:*`],
            },
            ...db.Statement,
        ],
    };
}

/** The managed policy that lets the SSM agent register the instance (Session Manager, no SSH). */
export const SSM_MANAGED_POLICY_ARN = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore";

// ---------------------------------------------------------------------------------------------
// Alarms
// ---------------------------------------------------------------------------------------------
/** What the group's alarms watch (names known at deploy time: `T`). */
export interface Ec2AlarmTargets<T> {
    groupName: T;
    loadBalancer: T;
    targetGroup: T;
}

/**
 * Target 5xx (the app's errors), unhealthy hosts behind the load balancer, and in-service
 * instances below the desired capacity for 10 minutes: `GroupDesiredCapacity -
 * GroupInServiceInstances > 0` (metric math; both are group metrics the group must enable,
 * "Amazon CloudWatch metrics for Amazon EC2 Auto Scaling"). Ten minutes leave an instance
 * refresh or a scale-out (launch plus the grace period) time to complete without alarming.
 */
export function ec2AlarmSpecs<T>(t: Ec2AlarmTargets<T>): (AlarmSpec<T> | ExpressionAlarmSpec<T>)[] {
    const group = (id: string, metricName: string) => ({
        id,
        namespace: "AWS/AutoScaling" as const,
        metricName,
        dimensions: { AutoScalingGroupName: t.groupName },
        statistic: "Minimum" as const,
        periodSeconds: 60,
    });
    return [
        ...loadBalancerAlarmSpecs(t, "instance"),
        {
            key: "in-service-below-desired",
            description: "Fewer instances are in service than the group's desired capacity (10 minutes)",
            metrics: [group("desired", "GroupDesiredCapacity"), group("inService", "GroupInServiceInstances")],
            expression: { id: "missing", expression: "desired - inService", label: "Instances missing from service" },
            evaluationPeriods: 10,
            threshold: 0,
            comparisonOperator: "GreaterThanThreshold",
            treatMissingData: "breaching",
        },
    ];
}

/** The group metrics the alarms (and the README's dashboard advice) need. */
export const GROUP_METRICS = [
    "GroupDesiredCapacity",
    "GroupInServiceInstances",
    "GroupMinSize",
    "GroupMaxSize",
] as const;
