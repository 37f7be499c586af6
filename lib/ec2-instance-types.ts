/**
 * The EC2 instance types the `ec2` compute mode accepts, and the CPU architecture of each.
 *
 * A table, not a pattern: an instance type the table does not hold is refused at config time
 * (exit 2, naming the key), because a type that does not exist fails only at launch, after the
 * migrations ran and the launch template was replaced. The families are the general-purpose,
 * compute- and memory-optimised current generations that run Amazon Linux 2023 ("Amazon EC2
 * instance types", EC2 User Guide: "Instance type naming conventions": a `g` after the
 * generation number means AWS Graviton, i.e. arm64; `a` AMD and `i` Intel are x86_64). Sizes
 * are the ones each family offers (bare-metal sizes left out: they boot for minutes longer than
 * the health-check grace period allows). Add a family here to allow it.
 *
 * Pure module: no Pulumi resource declarations.
 */

export const EC2_ARCHITECTURES = ["arm64", "x86_64"] as const;
export type Ec2Architecture = (typeof EC2_ARCHITECTURES)[number];

const BURSTABLE = ["nano", "micro", "small", "medium", "large", "xlarge", "2xlarge"];
const STANDARD = ["large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"];

/** Family → [architecture, sizes]. */
const FAMILIES: Readonly<Record<string, readonly [Ec2Architecture, readonly string[]]>> = {
    t4g: ["arm64", BURSTABLE],
    t3: ["x86_64", BURSTABLE],
    t3a: ["x86_64", BURSTABLE],
    m6g: ["arm64", ["medium", ...STANDARD]],
    m7g: ["arm64", ["medium", ...STANDARD]],
    c6g: ["arm64", ["medium", ...STANDARD]],
    c7g: ["arm64", ["medium", ...STANDARD]],
    r6g: ["arm64", ["medium", ...STANDARD]],
    r7g: ["arm64", ["medium", ...STANDARD]],
    m6i: ["x86_64", STANDARD],
    m7i: ["x86_64", STANDARD],
    m6a: ["x86_64", STANDARD],
    m7a: ["x86_64", ["medium", ...STANDARD]],
    c6i: ["x86_64", STANDARD],
    c7i: ["x86_64", STANDARD],
    r6i: ["x86_64", STANDARD],
    r7i: ["x86_64", STANDARD],
};

/** Every instance type of the table, with its architecture. */
export const EC2_INSTANCE_TYPES: Readonly<Record<string, Ec2Architecture>> = Object.fromEntries(
    Object.entries(FAMILIES).flatMap(([family, [arch, sizes]]) => sizes.map((s) => [`${family}.${s}`, arch] as const)),
);

/** The architecture of a known instance type; `undefined` for a type the table does not hold. */
export function instanceTypeArchitecture(type: string): Ec2Architecture | undefined {
    return Object.prototype.hasOwnProperty.call(EC2_INSTANCE_TYPES, type) ? EC2_INSTANCE_TYPES[type] : undefined;
}

/** The families of the table, for messages. */
export const EC2_FAMILIES: readonly string[] = Object.keys(FAMILIES);
