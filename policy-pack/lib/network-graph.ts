/**
 * Pure resolution of "is this subnet public?" over a whole stack, for the DB subnet group policy.
 *
 * Resources reference each other by id (a subnet group's `subnetIds`, an association's
 * `subnetId` and `routeTableId`, a route's `gatewayId`). Each resource's own id is read from
 * `props.id`: the engine passes resource outputs (which carry `id`) to stack policies, and the
 * offline plan adds the id the mocks gave each resource. Unknown or missing ids are skipped:
 * nothing is ever flagged on a reference that cannot be followed.
 *
 * A subnet is public when
 * - it maps public IPv4 addresses on launch (`mapPublicIpOnLaunch: true`), or
 * - a route table associated with it (`RouteTableAssociation` subnetId + routeTableId) has a route to
 *   an internet gateway: an inline route on a `RouteTable`/`DefaultRouteTable` or a `Route` resource
 *   whose `gatewayId` is the id of an `InternetGateway` in the stack or any `igw-...` id, or
 * - it has no explicit association and its VPC's main route table has such a route. The main table is
 *   a `MainRouteTableAssociation`'s, else the VPC's `mainRouteTableId` output, else its default route
 *   table (the VPC's `defaultRouteTableId` output, or a `DefaultRouteTable` whose `vpcId` is known).
 *   This fallback is used only when every association's subnet is known, since an unknown one might
 *   be the explicit association.
 *
 * Pure: no `@pulumi/*` imports.
 */
import { asArray, asBool, asString, get, UNKNOWN } from "./props";
import { T } from "./types";

/** The parts of a stack resource this module reads (a `PolicyResource` fits). */
export interface StackResourceView {
    type: string;
    urn: string;
    name: string;
    props: unknown;
    /**
     * The resources each input was computed from, as the engine passes them to stack policies.
     * When an id is not known yet (a first preview), a reference is followed through them.
     */
    propertyDependencies?: Record<string, readonly { urn: string }[]>;
}

/** One public subnet found in a DB subnet group. */
export interface PublicSubnetFinding {
    subnetGroup: StackResourceView;
    subnet: StackResourceView;
    subnetId: string;
    /** Each reason as a sentence fragment: "maps public IPs on launch", ... */
    reasons: string[];
}

function knownString(v: unknown): string | undefined {
    const s = asString(v);
    return typeof s === "string" && s.trim() !== "" ? s : undefined;
}

/** The first of `values` that is a known, non-empty string (outputs spell "unset" as ""). */
function firstKnownString(...values: unknown[]): string | undefined {
    for (const v of values) {
        const s = knownString(v);
        if (s) {
            return s;
        }
    }
    return undefined;
}

function idOf(r: StackResourceView): string | undefined {
    return knownString(get(r.props, "id"));
}

/** The URNs input `prop` of `r` was computed from. */
function dependencyUrns(r: StackResourceView, prop: string): string[] {
    return (r.propertyDependencies?.[prop] ?? []).map((d) => d.urn);
}

/**
 * What input `prop` of `r` refers to: its known value (an id), else the one resource it was
 * computed from (by URN), else undefined.
 */
function reference(r: StackResourceView, prop: string, value: unknown): string | undefined {
    const known = knownString(value);
    if (known) {
        return known;
    }
    const urns = dependencyUrns(r, prop);
    return value === UNKNOWN && urns.length === 1 ? urns[0] : undefined;
}

function describe(r: StackResourceView | undefined, id: string): string {
    if (id.startsWith("urn:")) {
        return r ? `"${r.name}" (id not known yet)` : id;
    }
    return r ? `"${r.name}" (${id})` : id;
}

interface IgwRoute {
    destination: string;
    gatewayId: string;
}

/** Builds the lookup tables once; {@link findPublicSubnetsInDbSubnetGroups} queries them. */
class NetworkIndex {
    readonly subnetsById = new Map<string, StackResourceView>();
    private readonly igwById = new Map<string, StackResourceView>();
    private readonly routeTablesById = new Map<string, StackResourceView>();
    private readonly igwRoutesByTable = new Map<string, IgwRoute[]>();
    private readonly tablesBySubnet = new Map<string, string[]>();
    private readonly mainTableByVpc = new Map<string, string>();
    /** The VPC's own `mainRouteTableId` output (the engine passes outputs to stack policies). */
    private readonly vpcMainTableByVpc = new Map<string, string>();
    private readonly defaultTableByVpc = new Map<string, string>();
    private anyAssociationWithUnknownSubnet = false;
    /** Routes whose gateway could not be classified yet (collected before all IGWs are known). */
    private readonly pendingRoutes: { table: string; gatewayId: string; destination: string }[] = [];
    /** Id → URN of the stack's resources, so that a reference by id and one by URN meet. */
    private readonly urnById = new Map<string, string>();
    readonly byUrn = new Map<string, StackResourceView>();

    /** The key a reference is filed under: the URN of the stack resource it names, else itself. */
    key(ref: string): string {
        return this.urnById.get(ref) ?? ref;
    }

    constructor(resources: readonly StackResourceView[]) {
        for (const r of resources) {
            this.byUrn.set(r.urn, r);
            const id = idOf(r);
            if (id) {
                this.urnById.set(id, r.urn);
            }
            if (r.type === T.defaultRouteTable) {
                const adopted = knownString(get(r.props, "defaultRouteTableId"));
                if (adopted) {
                    this.urnById.set(adopted, r.urn);
                }
            }
        }
        for (const r of resources) {
            switch (r.type) {
                case T.subnet: {
                    this.subnetsById.set(r.urn, r);
                    break;
                }
                case T.internetGateway: {
                    this.igwById.set(r.urn, r);
                    break;
                }
                case T.routeTable:
                case T.defaultRouteTable: {
                    // A DefaultRouteTable adopts the VPC's default table: its id is that table's id.
                    const table = r.urn;
                    // A DefaultRouteTable's `vpcId` is an output: known under the engine, after creation.
                    const vpc = r.type === T.defaultRouteTable ? knownString(get(r.props, "vpcId")) : undefined;
                    if (vpc && !this.defaultTableByVpc.has(this.key(vpc))) {
                        this.defaultTableByVpc.set(this.key(vpc), table);
                    }
                    const routes = asArray(get(r.props, "routes"));
                    this.routeTablesById.set(table, r);
                    if (routes !== UNKNOWN && routes !== undefined) {
                        for (const route of routes) {
                            this.addRoute(
                                table,
                                knownString(get(route, "gatewayId")),
                                firstKnownString(
                                    get(route, "cidrBlock"),
                                    get(route, "ipv6CidrBlock"),
                                    get(route, "destinationPrefixListId"),
                                ),
                            );
                        }
                    }
                    break;
                }
                case T.route: {
                    const table = reference(r, "routeTableId", get(r.props, "routeTableId"));
                    if (table) {
                        this.addRoute(
                            this.key(table),
                            reference(r, "gatewayId", get(r.props, "gatewayId")),
                            firstKnownString(
                                get(r.props, "destinationCidrBlock"),
                                get(r.props, "destinationIpv6CidrBlock"),
                                get(r.props, "destinationPrefixListId"),
                            ),
                        );
                    }
                    break;
                }
                case T.routeTableAssociation: {
                    const subnet = reference(r, "subnetId", get(r.props, "subnetId"));
                    const table = reference(r, "routeTableId", get(r.props, "routeTableId"));
                    if (subnet === undefined && get(r.props, "subnetId") === UNKNOWN) {
                        this.anyAssociationWithUnknownSubnet = true;
                    }
                    if (subnet) {
                        const list = this.tablesBySubnet.get(this.key(subnet)) ?? [];
                        // An association with an unknown table still counts as "explicitly associated".
                        list.push(table ? this.key(table) : "");
                        this.tablesBySubnet.set(this.key(subnet), list);
                    }
                    break;
                }
                case T.mainRouteTableAssociation: {
                    const vpc = reference(r, "vpcId", get(r.props, "vpcId"));
                    const table = reference(r, "routeTableId", get(r.props, "routeTableId"));
                    if (vpc && table) {
                        this.mainTableByVpc.set(this.key(vpc), this.key(table));
                    }
                    break;
                }
                case T.vpc: {
                    const vpc = r.urn;
                    const main = knownString(get(r.props, "mainRouteTableId"));
                    if (main) {
                        this.vpcMainTableByVpc.set(vpc, this.key(main));
                    }
                    const table = knownString(get(r.props, "defaultRouteTableId"));
                    if (table) {
                        this.defaultTableByVpc.set(vpc, this.key(table));
                    }
                    break;
                }
                default:
                    break;
            }
        }
        for (const p of this.pendingRoutes) {
            if (this.isInternetGateway(p.gatewayId)) {
                const list = this.igwRoutesByTable.get(p.table) ?? [];
                list.push({ destination: p.destination, gatewayId: this.key(p.gatewayId) });
                this.igwRoutesByTable.set(p.table, list);
            }
        }
    }

    private addRoute(table: string, gatewayId: string | undefined, destination: string | undefined): void {
        if (gatewayId) {
            this.pendingRoutes.push({ table, gatewayId, destination: destination ?? "?" });
        }
    }

    private isInternetGateway(ref: string): boolean {
        return this.igwById.has(this.key(ref)) || /^igw-/i.test(ref);
    }

    /** How a message names a resource filed under `key`: its id when known. */
    private label(key: string): string {
        const r = this.byUrn.get(key);
        return r ? (idOf(r) ?? key) : key;
    }

    private tableReason(table: string, how: string): string | undefined {
        const routes = this.igwRoutesByTable.get(table);
        if (!routes || routes.length === 0) {
            return undefined;
        }
        const routeText = [
            ...new Set(
                routes.map(
                    (r) =>
                        `${r.destination} to internet gateway ${describe(this.igwById.get(r.gatewayId), this.label(r.gatewayId))}`,
                ),
            ),
        ].join(", ");
        return `${how} route table ${describe(this.routeTablesById.get(table), this.label(table))}, which routes ${routeText}`;
    }

    /** Why the subnet is public; empty when it is not (or cannot be told). */
    publicReasons(subnet: StackResourceView): string[] {
        const subnetId = subnet.urn;
        const reasons: string[] = [];
        if (asBool(get(subnet.props, "mapPublicIpOnLaunch")) === true) {
            reasons.push("maps public IPs on launch (mapPublicIpOnLaunch: true)");
        }
        const explicit = this.tablesBySubnet.get(subnetId);
        if (explicit) {
            for (const table of explicit) {
                const reason = table ? this.tableReason(table, "is associated with") : undefined;
                if (reason) {
                    reasons.push(reason);
                }
            }
        } else if (!this.anyAssociationWithUnknownSubnet) {
            const vpcRef = reference(subnet, "vpcId", get(subnet.props, "vpcId"));
            const vpc = vpcRef ? this.key(vpcRef) : undefined;
            const main = vpc
                ? (this.mainTableByVpc.get(vpc) ?? this.vpcMainTableByVpc.get(vpc) ?? this.defaultTableByVpc.get(vpc))
                : undefined;
            const reason = main
                ? this.tableReason(main, "has no route table association, so it uses its VPC's main")
                : undefined;
            if (reason) {
                reasons.push(reason);
            }
        }
        return reasons;
    }
}

/**
 * Every (DB subnet group, public subnet) pair in the stack. Subnet ids that name no subnet of the
 * stack (an imported VPC) are skipped; a group whose subnet ids are not known yet is listed in
 * `undecided` (when given).
 */
export function findPublicSubnetsInDbSubnetGroups(
    resources: readonly StackResourceView[],
    undecided: StackResourceView[] = [],
): PublicSubnetFinding[] {
    const groups = resources.filter((r) => r.type === T.rdsSubnetGroup);
    if (groups.length === 0) {
        return [];
    }
    const index = new NetworkIndex(resources);
    const findings: PublicSubnetFinding[] = [];
    for (const group of groups) {
        const ids = asArray(get(group.props, "subnetIds"));
        if (ids === undefined) {
            continue;
        }
        // Known ids, and, for ids not known yet, the subnets they were computed from.
        const refs = new Set<string>();
        let unresolved = false;
        const dependencies = dependencyUrns(group, "subnetIds").filter((u) => index.subnetsById.has(u));
        if (ids === UNKNOWN || ids.some((id) => id === UNKNOWN)) {
            if (dependencies.length === 0) {
                unresolved = true;
            }
            dependencies.forEach((u) => refs.add(u));
        }
        if (ids !== UNKNOWN) {
            for (const idValue of ids) {
                const subnetId = knownString(idValue);
                if (subnetId) {
                    refs.add(index.key(subnetId));
                }
            }
        }
        if (unresolved) {
            undecided.push(group);
        }
        const seen = new Set<string>();
        for (const ref of refs) {
            const subnet = index.subnetsById.get(ref);
            if (!subnet || seen.has(subnet.urn)) {
                continue;
            }
            seen.add(subnet.urn);
            const reasons = index.publicReasons(subnet);
            if (reasons.length > 0) {
                findings.push({ subnetGroup: group, subnet, subnetId: idOf(subnet) ?? "id not known yet", reasons });
            }
        }
    }
    return findings;
}
