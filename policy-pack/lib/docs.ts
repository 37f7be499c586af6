/**
 * Renders the policy reference tables of `policy-pack/README.md` from the policies themselves,
 * so the documented levels, types and config defaults cannot drift from the code
 * (`test/policy/pack.test.ts` compares them).
 *
 * Print the tables with: `npx ts-node --transpile-only policy-pack/lib/docs.ts`.
 */
import type { Policy, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { taggedTypes } from "../policies/util";

type AnyPolicy = ResourceValidationPolicy | StackValidationPolicy;

function cell(s: string): string {
    return s.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

function typesOf(p: AnyPolicy): readonly string[] {
    if ("validateStack" in p && typeof p.validateStack === "function") {
        return taggedTypes(p.validateStack) ?? [];
    }
    const v = (p as ResourceValidationPolicy).validateResource;
    return (Array.isArray(v) ? v.flatMap((f) => taggedTypes(f) ?? []) : taggedTypes(v)) ?? [];
}

/** One row per policy: name, default level, kind, resource types, what it checks. */
export function renderPolicyTable(policies: readonly AnyPolicy[]): string {
    const rows = policies.map((p) => {
        const kind = "validateStack" in p && typeof p.validateStack === "function" ? "stack" : "resource";
        const remediates =
            typeof (p as ResourceValidationPolicy).remediateResource === "function" ? " (remediates)" : "";
        const types = typesOf(p)
            .map((t) => `\`${t}\``)
            .join("<br>");
        return `| \`${p.name}\` | ${p.enforcementLevel ?? "advisory"} | ${kind}${remediates} | ${types} | ${cell(p.description)} |`;
    });
    return ["| Policy | Default level | Kind | Resource types | Rule |", "|---|---|---|---|---|", ...rows].join("\n");
}

/** One row per config property: policy, key, type, default, meaning. */
export function renderConfigTable(policies: readonly Policy[]): string {
    const rows: string[] = [];
    for (const p of policies) {
        for (const [key, schema] of Object.entries(p.configSchema?.properties ?? {})) {
            const s = typeof schema === "object" ? schema : {};
            const type = Array.isArray(s.type) ? s.type.join(" \\| ") : (s.type ?? "any");
            const items =
                s.type === "array" && typeof s.items === "object" && !Array.isArray(s.items) && s.items.type
                    ? ` of ${s.items.type}`
                    : "";
            const def = s.default === undefined ? "—" : `\`${JSON.stringify(s.default)}\``;
            rows.push(`| \`${p.name}\` | \`${key}\` | ${type}${items} | ${cell(def)} | ${cell(s.description ?? "")} |`);
        }
    }
    return ["| Policy | Key | Type | Default | Meaning |", "|---|---|---|---|---|", ...rows].join("\n");
}

if (require.main === module) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { allPolicies } = require("../policies") as typeof import("../policies");
    process.stdout.write(`${renderPolicyTable(allPolicies)}\n\n${renderConfigTable(allPolicies)}\n`);
}
