/**
 * The engine's policy steps over a planned set of resources, on a running analyzer
 * (`analyzer.ts`), in the Pulumi engine's order: ConfigureStack, GetAnalyzerInfo, config
 * reconciliation (`config.ts`), Configure, then per resource Remediate and Analyze on the
 * remediated inputs, then AnalyzeStack over every resource. Not part of the pack.
 */
import type { Analyzer, Diagnostic, WireResource } from "./analyzer";
import { reconcilePolicyConfig } from "./config";

/** One policy violation, as the plan reports it (CONTRACT.md). */
export interface Violation {
    policy: string;
    /** `mandatory`, `advisory` or `remediate` (the engine would fix it). */
    enforcementLevel: string;
    /** URN of the offending resource; absent for a violation of the stack as a whole. */
    resource?: string;
    message: string;
}

export interface RunOptions {
    project: string;
    stack: string;
    /** A preview (unknown values possible) rather than an update. @default true */
    dryRun?: boolean;
    /** Stack tags, as `pulumi stack tag`. */
    stackTags?: Record<string, string>;
}

/** The analyzer sends `description + "\n" + message`; the plan shows the message alone. */
function messageOf(d: { description: string; message: string }): string {
    return d.message.startsWith(`${d.description}\n`) ? d.message.slice(d.description.length + 1) : d.message;
}

function toViolation(d: Diagnostic, urn?: string): Violation {
    const resource = d.urn || urn;
    return {
        policy: d.policy,
        enforcementLevel: d.enforcementLevel,
        ...(resource ? { resource } : {}),
        message: messageOf(d),
    };
}

function changedKeys(before: Record<string, unknown>, after: Record<string, unknown>): string[] {
    const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
    return [...keys].filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k])).sort();
}

/** Runs the pack on `resources` with the `--policy-pack-config` document `config`. */
export async function runPolicies(
    analyzer: Analyzer,
    resources: readonly WireResource[],
    config: unknown,
    options: RunOptions,
): Promise<Violation[]> {
    const dryRun = options.dryRun ?? true;
    await analyzer.configureStack({
        project: options.project,
        stack: options.stack,
        dryRun,
        tags: options.stackTags,
    });
    const info = await analyzer.getAnalyzerInfo();
    const reconciled = reconcilePolicyConfig(info.policies, config);
    await analyzer.configure(reconciled);

    // The engine analyzes each resource as its registration arrives, many at once; so do we
    // (one request each, all in flight together), keeping the results in registration order.
    // Remediate runs only remediate-level policies: with none configured it has nothing to say.
    const anyRemediation = [...reconciled.values()].some((c) => c.enforcementLevel === "remediate");
    const perResource = await Promise.all(
        resources.map(async (r) => {
            const found: Violation[] = [];
            let properties = r.properties;
            for (const rem of anyRemediation ? await analyzer.remediate(r) : []) {
                if (rem.diagnostic) {
                    found.push({
                        policy: rem.policy,
                        enforcementLevel: "advisory",
                        resource: r.urn,
                        message: rem.diagnostic,
                    });
                }
                if (rem.properties) {
                    const changed = changedKeys(properties, rem.properties);
                    if (changed.length > 0) {
                        found.push({
                            policy: rem.policy,
                            enforcementLevel: "remediate",
                            resource: r.urn,
                            message: `would remediate: ${rem.description} (sets ${changed.join(", ")})`,
                        });
                    }
                    properties = rem.properties;
                }
            }
            const remediated = { ...r, properties };
            const result = await analyzer.analyze(remediated);
            found.push(...result.diagnostics.map((d) => toViolation(d, r.urn)));
            return { remediated, found };
        }),
    );
    const violations: Violation[] = perResource.flatMap((x) => x.found);
    const analyzed = perResource.map((x) => x.remediated);
    // AnalyzeStack sees outputs: the (remediated) inputs and the id, by which stack policies
    // follow references such as a subnet id in a DB subnet group.
    const stack = await analyzer.analyzeStack(
        analyzed.map((r) =>
            typeof r.id === "string" && r.properties.id === undefined
                ? { ...r, properties: { ...r.properties, id: r.id } }
                : r,
        ),
    );
    violations.push(...stack.diagnostics.map((d) => toViolation(d)));
    return violations;
}
