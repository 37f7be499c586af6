/**
 * Pure planning for the `ecs` compute mode (`EcsService`) and for the public entry the
 * container modes share (`compute.ingress`: a public ALB, or an HTTP API with a VPC link to an
 * internal ALB): defaults, every rule on `compute.ecs` and `compute.alb`, the container's
 * environment (names from the app's contract), the IAM policy documents of the task and
 * execution roles, the scaling and alarm specifications.
 *
 * No Pulumi resource declarations and no Pulumi runtime calls. Functions carrying values the
 * components only know as outputs are generic over the value type `T`.
 */
import { type AlarmSpec, loadBalancerAlarmSpecs } from "./alarm-spec";
import { type CallerSource, DEFAULT_SERVER_PORT, ENV, HEALTH_PATHS } from "../app/contract";
import { LOG_RETENTION_DAYS } from "./aws-facts";
import { apiEnvironment, type DatabaseEnvInputs, type PolicyDocument } from "./lambda-plan";
import { AlbOidcOptions, planAlbOidc } from "./auth-plan";
import { nested, Problem, problem } from "./problems";

// ---------------------------------------------------------------------------------------------
// Defaults
// ---------------------------------------------------------------------------------------------
export const ECS_ARCHITECTURES = ["arm64", "x86_64"] as const;
export type EcsArchitecture = (typeof ECS_ARCHITECTURES)[number];

/** The defaults the `@default` tags of {@link EcsOptions} document (a test checks both agree). */
export const ECS_DEFAULTS = {
    cpu: 512,
    memoryMb: 1024,
    architecture: "arm64" as EcsArchitecture,
    minTasks: 2,
    maxTasks: 4,
    cpuTargetPercent: 60,
    requestsPerTarget: 500,
    logRetentionDays: 30,
    execCommand: false,
    fargateSpotPercent: 0,
    imageRetainCount: 10,
    containerPort: DEFAULT_SERVER_PORT,
} as const;

/** The defaults of {@link AlbOptions}. */
export const ALB_DEFAULTS = {
    waf: false,
    wafRateLimit: 2000,
    accessLogs: false,
    accessLogRetentionDays: 90,
} as const;

/**
 * The HTTPS listener's policy: TLS 1.3 and TLS 1.2 only, forward-secret ciphers. AWS's
 * recommended policy ("Security policies for your Application Load Balancer", Elastic Load
 * Balancing user guide); the console's default, while the API's default is the older
 * ELBSecurityPolicy-2016-08 (TLS 1.0+), hence set explicitly.
 */
export const TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06";

/** The target group's health check: the app's liveness path, which never touches the database. */
export const TARGET_HEALTH_PATH = HEALTH_PATHS.liveness;

/**
 * Task CPU units → the memory sizes (MiB) Fargate accepts with them, from the ECS developer
 * guide ("Task CPU and memory", and the RegisterTaskDefinition `memory` reference). 8 and 16
 * vCPU need Linux platform 1.4.0 (LATEST).
 */
export function fargateMemoryChoices(cpu: number): number[] {
    const range = (from: number, to: number, step: number) => {
        const out: number[] = [];
        for (let m = from; m <= to; m += step) out.push(m);
        return out;
    };
    switch (cpu) {
        case 256:
            return [512, 1024, 2048];
        case 512:
            return range(1024, 4096, 1024);
        case 1024:
            return range(2048, 8192, 1024);
        case 2048:
            return range(4096, 16384, 1024);
        case 4096:
            return range(8192, 30720, 1024);
        case 8192:
            return range(16384, 61440, 4096);
        case 16384:
            return range(32768, 122880, 8192);
        default:
            return [];
    }
}
export const FARGATE_CPUS = [256, 512, 1024, 2048, 4096, 8192, 16384] as const;

/**
 * An image reference with a tag or a digest (`registry/path:tag`, `...@sha256:<64 hex>`): the
 * grammar of the distribution reference (lower-case path components, tag of at most 128
 * characters). A bare name (implicit `latest`) is refused: a deploy must say what it runs.
 */
const IMAGE_REFERENCE =
    /^(?:(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?))*(?::\d+)?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[0-9a-f]{64})?$/;

export function isImageReference(value: string): boolean {
    return IMAGE_REFERENCE.test(value) && /(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|@sha256:[0-9a-f]{64})$/.test(value);
}

/** An ECR image (`<account>.dkr.ecr.<region>.amazonaws.com/<repository>...`): its repository's ARN parts. */
export function ecrRepositoryOf(image: string): { account: string; region: string; repository: string } | undefined {
    const m = /^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\/([^:@]+)/.exec(image);
    return m ? { account: m[1]!, region: m[2]!, repository: m[3]! } : undefined;
}

// ---------------------------------------------------------------------------------------------
// Options
// ---------------------------------------------------------------------------------------------
/** The `compute.ecs` config object: the Fargate service. */
export interface EcsOptions {
    /**
     * The container image, with a tag or digest (CI passes `<ECR repository>:<commit sha>`).
     * Unset: the program builds `app/Dockerfile` and pushes it to a new ECR repository (needs
     * Docker where `pulumi up` runs).
     * @default - built from app/Dockerfile
     * @example "123456789012.dkr.ecr.eu-west-1.amazonaws.com/private-app:3f2c1e0"
     */
    image?: string;
    /**
     * Task CPU units (1024 = 1 vCPU): 256, 512, 1024, 2048, 4096, 8192 or 16384.
     * @default 512
     */
    cpu?: number;
    /**
     * Task memory (MiB), one Fargate accepts with `cpu` (512 CPU: 1024 to 4096 by 1024).
     * @default 1024
     */
    memoryMb?: number;
    /**
     * CPU architecture of the task (the image must be built for it).
     * @default "arm64"
     */
    architecture?: EcsArchitecture;
    /**
     * Fewest tasks (and the desired count at creation); 2 or more spreads them over AZs.
     * @default 2
     */
    minTasks?: number;
    /**
     * Most tasks autoscaling may run.
     * @default 4
     */
    maxTasks?: number;
    /**
     * Target of the CPU target-tracking policy (percent of the task's CPU).
     * @default 60
     */
    cpuTargetPercent?: number;
    /**
     * Target of the request-count policy (requests per target per minute; ALB ingress only).
     * @default 500
     */
    requestsPerTarget?: number;
    /**
     * Retention of the tasks' log group (days).
     * @default 30
     */
    logRetentionDays?: number;
    /**
     * ECS Exec (`aws ecs execute-command`): needs NAT or the `ssmmessages` endpoint.
     * @default false
     */
    execCommand?: boolean;
    /**
     * Share of the tasks above the first on Fargate Spot (0 to 100); the first task always
     * runs on regular Fargate.
     * @default 0
     */
    fargateSpotPercent?: number;
    /**
     * Images the built repository keeps (lifecycle policy); only when `image` is unset.
     * @default 10
     */
    imageRetainCount?: number;
    /**
     * Database connections per task (`DB_POOL_MAX`), 1 to 20.
     * @default - the app's own default (2)
     */
    dbPoolMax?: number;
}

/** The `compute.alb` config object: the public ALB of `compute.ingress: alb`. */
export interface AlbOptions {
    /**
     * ACM certificate ARN (in the stack's region) for the HTTPS listener.
     * @default - none: set it, or domainName and hostedZoneId
     */
    certificateArn?: string;
    /**
     * Domain the app is served on (the `url` output). Without `certificateArn` the program
     * requests a DNS-validated ACM certificate for it in `hostedZoneId`; with `hostedZoneId` it
     * also points the name at the ALB (alias record). With `certificateArn` and no zone, point
     * the name at the ALB yourself.
     * @default - none: the url is the ALB's own DNS name (which the certificate must then cover)
     */
    domainName?: string;
    /**
     * Route 53 public hosted zone of `domainName` (validation record and alias record).
     * @default - none
     */
    hostedZoneId?: string;
    /**
     * AWS WAF web ACL on the ALB: AWS managed common, known-bad-inputs and SQL rule groups, and
     * a per-IP rate rule.
     * @default false
     */
    waf?: boolean;
    /**
     * Requests per client IP in 5 minutes above which WAF blocks (100 to 2000000000).
     * @default 2000
     */
    wafRateLimit?: number;
    /**
     * ALB access logs to a private, encrypted S3 bucket of the stack.
     * @default false
     */
    accessLogs?: boolean;
    /**
     * Days the access logs are kept (bucket lifecycle).
     * @default 90
     */
    accessLogRetentionDays?: number;
    /**
     * Sign-in with an OpenID Connect provider at the ALB: the HTTPS listener authenticates
     * (`authenticate-oidc`) before it forwards; the health paths stay open. The client secret
     * must be a secure stack value. See {@link AlbOidcOptions}.
     * @default - none: no sign-in
     */
    oidc?: AlbOidcOptions;
}

// ---------------------------------------------------------------------------------------------
// Rules
// ---------------------------------------------------------------------------------------------
function wholeIn(problems: Problem[], key: string, value: unknown, min: number, max: number, extra = ""): void {
    if (value === undefined) return;
    if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max)
        problems.push(
            problem(key, value, `expected a whole number from ${min} to ${max}${extra}`, `set ${key} in that range`),
        );
}

/** Validates `compute.ecs`. */
export function planEcs(o: EcsOptions): Problem[] {
    const problems: Problem[] = [];
    const d = ECS_DEFAULTS;
    if (o.image !== undefined && (typeof o.image !== "string" || !isImageReference(o.image))) {
        problems.push(
            problem(
                "image",
                o.image,
                "expected an image reference with a tag or digest, such as 123456789012.dkr.ecr.eu-west-1.amazonaws.com/private-app:3f2c1e0",
                "set compute.ecs.image to <registry>/<repository>:<tag>, or remove it to build app/Dockerfile",
            ),
        );
    }
    const cpu = o.cpu ?? d.cpu;
    const memory = o.memoryMb ?? d.memoryMb;
    if (!(FARGATE_CPUS as readonly unknown[]).includes(cpu)) {
        problems.push(
            problem(
                "cpu",
                o.cpu,
                `expected one of the Fargate task sizes ${FARGATE_CPUS.join(", ")}`,
                "set cpu to one",
            ),
        );
    } else if (!fargateMemoryChoices(cpu).includes(memory)) {
        const choices = fargateMemoryChoices(cpu);
        problems.push(
            problem(
                "memoryMb",
                memory,
                `Fargate accepts with cpu ${cpu} only ${choices.length > 8 ? `${choices[0]} to ${choices[choices.length - 1]} in steps of ${choices[1]! - choices[0]!}` : choices.join(", ")} MiB`,
                `set memoryMb to one of them (or change cpu)`,
            ),
        );
    }
    if (o.architecture !== undefined && !(ECS_ARCHITECTURES as readonly string[]).includes(o.architecture))
        problems.push(
            problem("architecture", o.architecture, `expected ${ECS_ARCHITECTURES.join(" or ")}`, "set one of them"),
        );
    wholeIn(problems, "minTasks", o.minTasks, 1, 1000);
    wholeIn(problems, "maxTasks", o.maxTasks, 1, 1000);
    const min = o.minTasks ?? d.minTasks;
    const max = o.maxTasks ?? d.maxTasks;
    if (typeof min === "number" && typeof max === "number" && min > max)
        problems.push(
            problem(
                "minTasks",
                min,
                `must not exceed maxTasks (${max})`,
                `lower compute.ecs.minTasks or raise compute.ecs.maxTasks`,
            ),
        );
    wholeIn(problems, "cpuTargetPercent", o.cpuTargetPercent, 10, 95);
    wholeIn(problems, "requestsPerTarget", o.requestsPerTarget, 1, 100000);
    if (o.logRetentionDays !== undefined && !(LOG_RETENTION_DAYS as readonly unknown[]).includes(o.logRetentionDays))
        problems.push(
            problem("logRetentionDays", o.logRetentionDays, "expected a CloudWatch Logs retention", "set 30 or 90"),
        );
    wholeIn(problems, "fargateSpotPercent", o.fargateSpotPercent, 0, 100);
    wholeIn(problems, "imageRetainCount", o.imageRetainCount, 1, 1000);
    wholeIn(problems, "dbPoolMax", o.dbPoolMax, 1, 20);
    if (o.imageRetainCount !== undefined && o.image !== undefined)
        problems.push(
            problem(
                "imageRetainCount",
                o.imageRetainCount,
                "applies only when the program builds the image (compute.ecs.image unset)",
                "remove compute.ecs.imageRetainCount",
            ),
        );
    return problems;
}

/** True when the ALB options give the HTTPS listener a certificate. */
export function albHasCertificate(o: AlbOptions): boolean {
    return o.certificateArn !== undefined || (o.domainName !== undefined && o.hostedZoneId !== undefined);
}

const DOMAIN = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

/** Validates `compute.alb` (`region`: the stack's, for the certificate ARN). */
export function planAlb(o: AlbOptions, context: { region?: string; clientSecretIsSecure?: boolean }): Problem[] {
    const problems: Problem[] = [];
    if (o.oidc !== undefined)
        problems.push(
            ...nested("oidc", planAlbOidc(o.oidc, { clientSecretIsSecure: context.clientSecretIsSecure ?? true })),
        );
    const a = o.certificateArn;
    if (a !== undefined) {
        const m = /^arn:aws[a-z-]*:acm:([a-z0-9-]+):\d{12}:certificate\/[0-9a-f-]{36}$/.exec(String(a));
        if (!m) {
            problems.push(
                problem(
                    "certificateArn",
                    a,
                    "expected an ACM certificate ARN such as arn:aws:acm:eu-west-1:123456789012:certificate/<uuid>",
                    "copy the ARN from the ACM console (aws acm list-certificates)",
                ),
            );
        } else if (context.region !== undefined && m[1] !== context.region) {
            problems.push(
                problem(
                    "certificateArn",
                    a,
                    `the certificate is in ${m[1]}, but an ALB can only use a certificate of its own region (${context.region})`,
                    `request or import the certificate in ${context.region}`,
                ),
            );
        }
    }
    if (o.domainName !== undefined && (typeof o.domainName !== "string" || !DOMAIN.test(o.domainName)))
        problems.push(
            problem("domainName", o.domainName, "expected a lower-case DNS name such as api.example.com", "fix it"),
        );
    if (
        o.hostedZoneId !== undefined &&
        (typeof o.hostedZoneId !== "string" || !/^Z[A-Z0-9]{1,31}$/.test(o.hostedZoneId))
    )
        problems.push(
            problem(
                "hostedZoneId",
                o.hostedZoneId,
                "expected a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ",
                "fix it",
            ),
        );
    if (o.hostedZoneId !== undefined && o.domainName === undefined)
        problems.push(
            problem(
                "domainName",
                undefined,
                "hostedZoneId is the zone of domainName, which is missing",
                "set domainName",
            ),
        );
    if (o.domainName !== undefined && o.hostedZoneId === undefined && o.certificateArn === undefined)
        problems.push(
            problem(
                "hostedZoneId",
                undefined,
                "without certificateArn the certificate for domainName is validated by DNS in its Route 53 zone",
                "set hostedZoneId (the public zone of domainName), or certificateArn",
            ),
        );
    wholeIn(problems, "wafRateLimit", o.wafRateLimit, 100, 2_000_000_000);
    if (o.wafRateLimit !== undefined && o.waf !== true)
        problems.push(
            problem("wafRateLimit", o.wafRateLimit, "applies only with waf: true", "set waf: true or remove it"),
        );
    if (
        o.accessLogRetentionDays !== undefined &&
        (typeof o.accessLogRetentionDays !== "number" ||
            !Number.isInteger(o.accessLogRetentionDays) ||
            o.accessLogRetentionDays < 1 ||
            o.accessLogRetentionDays > 3650)
    )
        problems.push(
            problem("accessLogRetentionDays", o.accessLogRetentionDays, "expected 1 to 3650 days", "set it in range"),
        );
    if (o.accessLogRetentionDays !== undefined && o.accessLogs !== true)
        problems.push(
            problem(
                "accessLogRetentionDays",
                o.accessLogRetentionDays,
                "applies only with accessLogs: true",
                "set accessLogs: true or remove it",
            ),
        );
    return problems;
}

// ---------------------------------------------------------------------------------------------
// The container
// ---------------------------------------------------------------------------------------------
/** An ECS container definition's `environment` entry. */
export interface EnvEntry<T> {
    name: string;
    value: T | string;
}

/**
 * The container's environment: the API's variables from the app contract (host, port, name,
 * user, and either `DB_IAM_AUTH=true` or `DB_SECRET_ARN`, an ARN the app reads at run time
 * with the task role: never a password), the server's `PORT` and the region. Sorted by name.
 */
export function containerEnvironment<T>(
    db: DatabaseEnvInputs<T>,
    o: { port: number; region: T | string; poolMax?: number; callerSource?: CallerSource },
): EnvEntry<T>[] {
    const env: Record<string, T | string> = {
        ...apiEnvironment(db, { poolMax: o.poolMax, sourceMaps: false }),
        [ENV.PORT]: String(o.port),
        [ENV.AWS_REGION]: o.region,
    };
    // Only with sign-in at the entry: without it the server trusts no identity header.
    if (o.callerSource !== undefined && o.callerSource !== "none") env[ENV.CALLER_HEADERS] = o.callerSource;
    return Object.keys(env)
        .sort()
        .map((name) => ({ name, value: env[name]! }));
}

/**
 * The task role's policy: what the app itself needs. With IAM auth, `rds-db:connect` as the
 * app user (on the proxy when there is one); otherwise reading the app user's secret (and
 * decrypting it with the secret's customer key when there is one). ECS Exec adds the SSM
 * channel actions it documents.
 */
export function taskRolePolicy<T>(i: {
    iamAuth: boolean;
    connectArn: T;
    appUserSecretArn?: T;
    secretKmsKeyArns: readonly T[];
    execCommand: boolean;
}): PolicyDocument {
    const Statement: PolicyDocument["Statement"] = [];
    if (i.iamAuth) {
        Statement.push({
            Sid: "ConnectAsAppUser",
            Effect: "Allow",
            Action: ["rds-db:connect"],
            Resource: [i.connectArn as unknown as string],
        });
    } else {
        Statement.push({
            Sid: "ReadAppUserSecret",
            Effect: "Allow",
            Action: ["secretsmanager:GetSecretValue"],
            Resource: [i.appUserSecretArn as unknown as string],
        });
        if (i.secretKmsKeyArns.length > 0)
            Statement.push({
                Sid: "DecryptSecret",
                Effect: "Allow",
                Action: ["kms:Decrypt"],
                Resource: i.secretKmsKeyArns as unknown as string[],
            });
    }
    if (i.execCommand)
        Statement.push({
            Sid: "EcsExec",
            Effect: "Allow",
            Action: [
                "ssmmessages:CreateControlChannel",
                "ssmmessages:CreateDataChannel",
                "ssmmessages:OpenControlChannel",
                "ssmmessages:OpenDataChannel",
            ],
            Resource: ["*"],
        });
    return { Version: "2012-10-17", Statement };
}

/**
 * The execution role's policy (what ECS does on the task's behalf before it starts): pull the
 * image from its repository (`ecr:GetAuthorizationToken` has no resource-level permission, so
 * `*`), and write the task's log group.
 */
export function executionRolePolicy<T>(i: { repositoryArn?: T; logGroupArn: T }): PolicyDocument {
    const Statement: PolicyDocument["Statement"] = [
        { Sid: "EcrToken", Effect: "Allow", Action: ["ecr:GetAuthorizationToken"], Resource: ["*"] },
    ];
    if (i.repositoryArn !== undefined)
        Statement.push({
            Sid: "PullImage",
            Effect: "Allow",
            Action: ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
            Resource: [i.repositoryArn as unknown as string],
        });
    Statement.push({
        Sid: "WriteLogs",
        Effect: "Allow",
        Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
        Resource: [`${i.logGroupArn as unknown as string}:*`],
    });
    return { Version: "2012-10-17", Statement };
}

/** The capacity provider strategy: the first task on FARGATE, `spotPercent` of the rest on FARGATE_SPOT. */
export function capacityStrategy(spotPercent: number): { capacityProvider: string; weight: number; base?: number }[] {
    if (spotPercent <= 0) return [{ capacityProvider: "FARGATE", weight: 1, base: 1 }];
    if (spotPercent >= 100)
        return [
            { capacityProvider: "FARGATE", weight: 0, base: 1 },
            { capacityProvider: "FARGATE_SPOT", weight: 1 },
        ];
    return [
        { capacityProvider: "FARGATE", weight: 100 - spotPercent, base: 1 },
        { capacityProvider: "FARGATE_SPOT", weight: spotPercent },
    ];
}

/** What the service's alarms watch (names only known at deploy time: `T`). */
export interface EcsAlarmTargets<T> {
    clusterName: T;
    serviceName: T;
    loadBalancer: T;
    targetGroup: T;
    minTasks: number;
}

/**
 * Target 5xx (the app's errors), unhealthy hosts behind the load balancer, and running tasks
 * below the service's minimum (Container Insights' `RunningTaskCount`).
 */
export function ecsAlarmSpecs<T>(t: EcsAlarmTargets<T>): AlarmSpec<T>[] {
    return [
        ...loadBalancerAlarmSpecs(t, "task"),
        {
            key: "running-tasks",
            description: `Fewer tasks run than the service's minimum (${t.minTasks})`,
            namespace: "ECS/ContainerInsights",
            metricName: "RunningTaskCount",
            dimensions: { ClusterName: t.clusterName, ServiceName: t.serviceName },
            statistic: "Minimum",
            periodSeconds: 60,
            evaluationPeriods: 5,
            threshold: t.minTasks,
            comparisonOperator: "LessThanThreshold",
            treatMissingData: "breaching",
        },
    ];
}
