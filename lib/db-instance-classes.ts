/**
 * Facts about RDS / Aurora DB instance classes that alarm thresholds and the cost model are
 * derived from: memory and vCPUs per class, PostgreSQL's default `max_connections` for that memory, and Aurora Serverless v2's
 * documented connection limits per capacity. Pure data and arithmetic: no resources, no config.
 *
 * Sources:
 * - Memory: the RDS and Aurora User Guides, "Hardware specifications for DB instance classes".
 *   General purpose (m) classes have 4 GiB per vCPU, memory optimized (r) 8, x2g 16; `large`
 *   is 2 vCPUs and each size step doubles (`Nxlarge` = 4N vCPUs). Burstable t3 / t4g classes
 *   have their own table.
 * - `max_connections`: the default parameter groups of RDS for PostgreSQL and Aurora PostgreSQL
 *   set `LEAST({DBInstanceClassMemory/9531392},5000)` (RDS User Guide, "Quotas and constraints",
 *   Maximum number of database connections,
 *   https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/CHAP_Limits.html#RDS_Limits.MaxConnections;
 *   Aurora User Guide, "Maximum connections to an Aurora PostgreSQL DB instance").
 * - Aurora Serverless v2: the Aurora User Guide, "Maximum connections for Aurora Serverless v2"
 *   (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-serverless-v2.setting-capacity.html#aurora-serverless-v2.max-connections).
 */

const GIB = 1024 ** 3;

/** GiB of memory per vCPU, per instance family (the part of the class between `db.` and the size). */
export const GIB_PER_VCPU: Readonly<Record<string, number>> = {
    m5: 4,
    m5d: 4,
    m6g: 4,
    m6gd: 4,
    m6i: 4,
    m6id: 4,
    m6in: 4,
    m6idn: 4,
    m7g: 4,
    m7gd: 4,
    m7i: 4,
    m8g: 4,
    m8gd: 4,
    r5: 8,
    r5b: 8,
    r5d: 8,
    r6g: 8,
    r6gd: 8,
    r6i: 8,
    r6id: 8,
    r6in: 8,
    r6idn: 8,
    r7g: 8,
    r7gd: 8,
    r7i: 8,
    r8g: 8,
    r8gd: 8,
    x2g: 16,
};

/** vCPUs per size of the m, r and x families. */
export const VCPUS_BY_SIZE: Readonly<Record<string, number>> = {
    large: 2,
    xlarge: 4,
    "2xlarge": 8,
    "4xlarge": 16,
    "8xlarge": 32,
    "12xlarge": 48,
    "16xlarge": 64,
    "24xlarge": 96,
    "32xlarge": 128,
    "48xlarge": 192,
};

/** Burstable families and their memory per size, in GiB. */
export const BURSTABLE_FAMILIES = ["t3", "t4g"] as const;
export const BURSTABLE_GIB_BY_SIZE: Readonly<Record<string, number>> = {
    micro: 1,
    small: 2,
    medium: 4,
    large: 8,
    xlarge: 16,
    "2xlarge": 32,
};

/** Memory of an instance class in GiB; undefined when the class is not in the tables above. */
export function instanceClassMemoryGib(instanceClass: string): number | undefined {
    const m = /^db\.([a-z0-9-]+)\.([a-z0-9]+)$/.exec(instanceClass);
    if (!m) return undefined;
    const [, family, size] = m;
    if ((BURSTABLE_FAMILIES as readonly string[]).includes(family)) return BURSTABLE_GIB_BY_SIZE[size];
    const perVcpu = GIB_PER_VCPU[family];
    const vcpus = VCPUS_BY_SIZE[size];
    return perVcpu !== undefined && vcpus !== undefined ? perVcpu * vcpus : undefined;
}

/** vCPUs per size of the burstable t3 / t4g classes (2 up to large). */
export const BURSTABLE_VCPUS_BY_SIZE: Readonly<Record<string, number>> = {
    micro: 2,
    small: 2,
    medium: 2,
    large: 2,
    xlarge: 4,
    "2xlarge": 8,
};

/** vCPUs of an instance class (RDS Proxy bills them); undefined when the class is not in the tables above. */
export function instanceClassVcpus(instanceClass: string): number | undefined {
    const m = /^db\.([a-z0-9-]+)\.([a-z0-9]+)$/.exec(instanceClass);
    if (!m) return undefined;
    const [, family, size] = m;
    if ((BURSTABLE_FAMILIES as readonly string[]).includes(family)) return BURSTABLE_VCPUS_BY_SIZE[size];
    return GIB_PER_VCPU[family] !== undefined ? VCPUS_BY_SIZE[size] : undefined;
}

/** Aurora Serverless v2: each ACU is about 2 GiB of memory (Aurora User Guide, "How Aurora Serverless v2 works"). */
export const GIB_PER_ACU = 2;

/** `{DBInstanceClassMemory/9531392}` of the default `max_connections` formula. */
export const PG_BYTES_PER_CONNECTION = 9531392;
/** The formula's ceiling. */
export const PG_MAX_CONNECTIONS_CEILING = 5000;
/**
 * `DBInstanceClassMemory` is the class's memory less what the OS and RDS processes reserve;
 * AWS does not publish it per class. Subtracting 256 MiB reproduces the `max_connections`
 * users report with `SHOW max_connections` within about 4% (db.t3.micro 81, db.t2.small 198,
 * db.t2.medium 413, db.m4.large 856, db.r4.large 1660; the estimate is the higher one): an
 * estimate, which is why the connections threshold stays overridable (`alarms.dbConnections`).
 */
export const RESERVED_MEMORY_GIB = 0.25;

/** PostgreSQL's default `max_connections` on an RDS or Aurora provisioned instance of `memoryGib`. */
export function defaultMaxConnections(memoryGib: number): number {
    const usable = Math.max(memoryGib - RESERVED_MEMORY_GIB, 0) * GIB;
    return Math.min(Math.floor(usable / PG_BYTES_PER_CONNECTION), PG_MAX_CONNECTIONS_CEILING);
}

/**
 * Aurora PostgreSQL Serverless v2's default `max_connections` by maximum ACU, as the Aurora
 * User Guide tabulates it (it derives from the memory of the maximum capacity).
 */
export const SERVERLESS_V2_MAX_CONNECTIONS: readonly (readonly [maxAcu: number, maxConnections: number])[] = [
    [1, 189],
    [4, 823],
    [8, 1669],
    [16, 3360],
    [32, 5000],
];
/** "When you specify a minimum capacity of 0 or 0.5 ACUs, max_connections is capped at 2,000." */
export const SERVERLESS_V2_LOW_MIN_CAP = 2000;

/**
 * Aurora Serverless v2's default `max_connections` for a capacity range: the documented value
 * for the maximum ACU (linear between the tabulated points, 5000 from 32 ACUs up), capped at
 * 2000 when the minimum is 0 or 0.5 ACU.
 */
export function serverlessMaxConnections(minAcu: number, maxAcu: number): number {
    const table = SERVERLESS_V2_MAX_CONNECTIONS;
    let value: number;
    if (maxAcu <= table[0][0]) value = table[0][1];
    else if (maxAcu >= table[table.length - 1][0]) value = table[table.length - 1][1];
    else {
        const i = table.findIndex(([acu]) => acu >= maxAcu);
        const [a0, c0] = table[i - 1];
        const [a1, c1] = table[i];
        value = Math.floor(c0 + ((c1 - c0) * (maxAcu - a0)) / (a1 - a0));
    }
    return minAcu <= 0.5 ? Math.min(value, SERVERLESS_V2_LOW_MIN_CAP) : value;
}
