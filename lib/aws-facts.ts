/**
 * Facts about AWS that the planners check against: what a service accepts, its limits and
 * minimum versions. Each names its source. Pure data: no resources, no config.
 */

/** PostgreSQL's port: the database, the proxy and every security group rule use it. */
export const DB_PORT = 5432;
/** RDS accepts database ports from 1150 to 65535. */
export const DATABASE_PORT_RANGE = { min: 1150, max: 65535 } as const;

/** Interface endpoints the network can create (service name suffix after `com.amazonaws.<region>.`). */
export const INTERFACE_ENDPOINTS = [
    "secretsmanager",
    "logs",
    "ecr.api",
    "ecr.dkr",
    "sts",
    "ssm",
    "ssmmessages",
    "ec2messages",
    "kms",
    "monitoring",
] as const;
export type InterfaceEndpoint = (typeof INTERFACE_ENDPOINTS)[number];

/** Retention values CloudWatch Logs accepts (PutRetentionPolicy). */
export const LOG_RETENTION_DAYS = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/**
 * Concurrent executions Lambda keeps unreserved in every account and region: reserving N for a
 * function needs an account concurrency quota of at least N + 100 ("You can reserve up to the
 * Unreserved account concurrency value minus 100", Lambda Developer Guide, "Configuring reserved
 * concurrency for a function",
 * https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html). New accounts
 * often have a quota far below the default 1,000.
 */
export const LAMBDA_MIN_UNRESERVED_CONCURRENCY = 100;

/** Enhanced Monitoring intervals RDS accepts (0 = off). */
export const MONITORING_INTERVALS = [0, 1, 5, 10, 15, 30, 60] as const;

/**
 * Minimum engine versions (major → minor) for Aurora Serverless v2, and for its scale to
 * zero (min 0 ACU, auto-pause). Source: the Aurora user guide, "Aurora Serverless v2" and
 * "Scaling to Zero ACUs with automatic pause and resume".
 */
export const SERVERLESS_V2_MIN_VERSION: Readonly<Record<number, number>> = { 13: 6, 14: 3, 15: 2, 16: 1, 17: 4 };
export const AUTO_PAUSE_MIN_VERSION: Readonly<Record<number, number>> = { 13: 15, 14: 12, 15: 7, 16: 3, 17: 4 };
/** PostgreSQL majors this project supports (RDS and Aurora standard support, and RDS Proxy). */
export const SUPPORTED_MAJORS = [13, 14, 15, 16, 17] as const;

/**
 * The smallest storage autoscaling limit RDS accepts for `allocatedGb`: "at least 10% more than
 * the current allocated storage" (RDS User Guide, storage autoscaling), else
 * InvalidParameterCombination.
 */
export function minMaxAllocatedStorageGb(allocatedGb: number): number {
    return Math.ceil((allocatedGb * 11) / 10);
}

/** Parses `a.b.c.d/n`; undefined when it is not an IPv4 CIDR. */
export function parseIpv4Cidr(value: string): { base: number; prefix: number } | undefined {
    const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(value);
    if (!m) return undefined;
    const octets = m.slice(1, 5).map(Number);
    const prefix = Number(m[5]);
    if (octets.some((o) => o > 255) || prefix > 32) return undefined;
    const base = ((octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]) >>> 0;
    return { base, prefix };
}
