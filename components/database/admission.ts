/**
 * Who may connect: the two ways in of `DatabaseConnection` (`allowFrom` for the app's client
 * path, `allowAdminFrom` for the admin path straight to the database). Behind a proxy the
 * client path ends at the proxy's group and the admin path at the database's, each with its own
 * rule. Without a proxy both end at the database's group: `admissionRuleName` gives both paths
 * the same rule name, and the rule the first call declared is returned to the second (a
 * second, identical rule would fail with InvalidPermission.Duplicate).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { AdmissionPath, admissionRuleName, validClientName } from "../../lib/database-plan";
import { dbIngressRule } from "./context";

export class Admissions {
    /** `<path>:<client name>` of every call made. */
    private readonly admitted = new Set<string>();
    /** The rules declared, by logical name, with the source they admit. */
    private readonly rules = new Map<
        string,
        { rule: aws.vpc.SecurityGroupIngressRule; source: pulumi.Input<string> }
    >();

    constructor(
        private readonly parent: pulumi.Resource,
        /** The database component's name (rule names and messages). */
        private readonly name: string,
        private readonly groups: {
            /** The database's own group (the admin path). */
            database: pulumi.Input<string>;
            /** The client path's group: the proxy's when proxied, else the database's. */
            client: pulumi.Input<string>;
            proxied: boolean;
        },
    ) {}

    /** Admits `source` on `path` under `clientName`, or returns the rule that already does. */
    admit(path: AdmissionPath, clientName: string, source: pulumi.Input<string>): aws.vpc.SecurityGroupIngressRule {
        const { name, groups } = this;
        const call = path === "client" ? "allowFrom" : "allowAdminFrom";
        if (!validClientName(clientName)) {
            throw new Error(
                `Database "${name}": ${call}: got ${JSON.stringify(clientName)}; expected 1 to 40 lower-case letters, digits or hyphens (it names the rule resource)`,
            );
        }
        const key = `${path}:${clientName}`;
        if (this.admitted.has(key)) {
            throw new Error(
                `Database "${name}": ${call}: "${clientName}" is already admitted; call ${call} once per client`,
            );
        }
        const ruleName = admissionRuleName(name, clientName, path, groups.proxied);
        const existing = this.rules.get(ruleName);
        if (existing) {
            // Without a proxy only: the other path already admitted this client to this group.
            if (typeof existing.source === "string" && typeof source === "string" && existing.source !== source) {
                throw new Error(
                    `Database "${name}": ${call}: "${clientName}" is already admitted from ${existing.source}, not ${source}; one client name is one security group`,
                );
            }
            this.admitted.add(key);
            return existing.rule;
        }
        const direct = path === "admin" && groups.proxied;
        const rule = dbIngressRule(
            this.parent,
            ruleName,
            direct ? groups.database : groups.client,
            source,
            direct ? `PostgreSQL from ${clientName} (admin, bypassing the proxy)` : `PostgreSQL from ${clientName}`,
        );
        this.rules.set(ruleName, { rule, source });
        this.admitted.add(key);
        return rule;
    }
}
