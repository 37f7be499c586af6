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

function describe(r: StackResourceView | undefined, id: string): string {
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

    constructor(resources: readonly StackResourceView[]) {
        for (const r of resources) {
            switch (r.type) {
                case T.subnet: {
                    const id = idOf(r);
                    if (id) {
                        this.subnetsById.set(id, r);
                    }
                    break;
                }
                case T.internetGateway: {
                    const id = idOf(r);
                    if (id) {
                        this.igwById.set(id, r);
                    }
                    break;
                }
                case T.routeTable:
                case T.defaultRouteTable: {
                    // A DefaultRouteTable adopts the VPC's default table: its id is that table's id.
                    const ids = new Set<string>();
                    const own = idOf(r);
                    if (own) {
                        ids.add(own);
                    }
                    const adopted =
                        r.type === T.defaultRouteTable ? knownString(get(r.props, "defaultRouteTableId")) : undefined;
                    if (adopted) {
                        ids.add(adopted);
                    }
                    // A DefaultRouteTable's `vpcId` is an output: known under the engine, after creation.
                    const vpc = r.type === T.defaultRouteTable ? knownString(get(r.props, "vpcId")) : undefined;
                    const defaultTable = adopted ?? own;
                    if (vpc && defaultTable && !this.defaultTableByVpc.has(vpc)) {
                        this.defaultTableByVpc.set(vpc, defaultTable);
                    }
                    const routes = asArray(get(r.props, "routes"));
                    for (const table of ids) {
                        this.routeTablesById.set(table, r);
                        if (routes !== UNKNOWN && routes !== undefined) {
                            for (const route of routes) {
                                this.addRoute(
                                    table,
                                    get(route, "gatewayId"),
                                    firstKnownString(
                                        get(route, "cidrBlock"),
                                        get(route, "ipv6CidrBlock"),
                                        get(route, "destinationPrefixListId"),
                                    ),
                                );
                            }
                        }
                    }
                    break;
                }
                case T.route: {
                    const table = knownString(get(r.props, "routeTableId"));
                    if (table) {
                        this.addRoute(
                            table,
                            get(r.props, "gatewayId"),
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
                    const subnetIdValue = get(r.props, "subnetId");
                    const table = knownString(get(r.props, "routeTableId"));
                    const subnet = knownString(subnetIdValue);
                    if (subnetIdValue === UNKNOWN) {
                        this.anyAssociationWithUnknownSubnet = true;
                    }
                    if (subnet) {
                        const list = this.tablesBySubnet.get(subnet) ?? [];
                        // An association with an unknown table still counts as "explicitly associated".
                        list.push(table ?? "");
                        this.tablesBySubnet.set(subnet, list);
                    }
                    break;
                }
                case T.mainRouteTableAssociation: {
                    const vpc = knownString(get(r.props, "vpcId"));
                    const table = knownString(get(r.props, "routeTableId"));
                    if (vpc && table) {
                        this.mainTableByVpc.set(vpc, table);
                    }
                    break;
                }
                case T.vpc: {
                    const vpc = idOf(r);
                    if (!vpc) {
                        break;
                    }
                    const main = knownString(get(r.props, "mainRouteTableId"));
                    if (main) {
                        this.vpcMainTableByVpc.set(vpc, main);
                    }
                    const table = knownString(get(r.props, "defaultRouteTableId"));
                    if (table) {
                        this.defaultTableByVpc.set(vpc, table);
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
                list.push({ destination: p.destination, gatewayId: p.gatewayId });
                this.igwRoutesByTable.set(p.table, list);
            }
        }
    }

    private addRoute(table: string, gatewayId: unknown, destination: string | undefined): void {
        const gw = knownString(gatewayId);
        if (gw) {
            this.pendingRoutes.push({ table, gatewayId: gw, destination: destination ?? "?" });
        }
    }

    private isInternetGateway(id: string): boolean {
        return this.igwById.has(id) || /^igw-/i.test(id);
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
                        `${r.destination} to internet gateway ${describe(this.igwById.get(r.gatewayId), r.gatewayId)}`,
                ),
            ),
        ].join(", ");
        return `${how} route table ${describe(this.routeTablesById.get(table), table)}, which routes ${routeText}`;
    }

    /** Why the subnet is public; empty when it is not (or cannot be told). */
    publicReasons(subnet: StackResourceView, subnetId: string): string[] {
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
            const vpc = knownString(get(subnet.props, "vpcId"));
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
 * Every (DB subnet group, public subnet) pair in the stack. Subnet ids that are unknown or that
 * name no subnet of the stack (an imported VPC) are skipped.
 */
export function findPublicSubnetsInDbSubnetGroups(resources: readonly StackResourceView[]): PublicSubnetFinding[] {
    const groups = resources.filter((r) => r.type === T.rdsSubnetGroup);
    if (groups.length === 0) {
        return [];
    }
    const index = new NetworkIndex(resources);
    const findings: PublicSubnetFinding[] = [];
    for (const group of groups) {
        const ids = asArray(get(group.props, "subnetIds"));
        if (ids === UNKNOWN || ids === undefined) {
            continue;
        }
        const seen = new Set<string>();
        for (const idValue of ids) {
            const subnetId = knownString(idValue);
            if (!subnetId || seen.has(subnetId)) {
                continue;
            }
            seen.add(subnetId);
            const subnet = index.subnetsById.get(subnetId);
            if (!subnet) {
                continue;
            }
            const reasons = index.publicReasons(subnet, subnetId);
            if (reasons.length > 0) {
                findings.push({ subnetGroup: group, subnet, subnetId, reasons });
            }
        }
    }
    return findings;
}
