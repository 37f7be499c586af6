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

/** One resource after Remediate and Analyze: its remediated inputs and what was found. */
export interface AnalyzedResource {
    remediated: WireResource;
    found: Violation[];
}

const timing = process.env.PRIVATE_APP_PLAN_TIMING === "1";
function tick(what: string): void {
    if (timing) process.stderr.write(`timing: ${Math.round(performance.now())} ms   ${what}\n`);
}

/**
 * One deployment's policy checks, in the engine's order. {@link PolicySession.open} configures
 * the analyzer (ConfigureStack, GetAnalyzerInfo, config reconciliation, Configure); then
 * {@link PolicySession.analyze} may be called for each resource as soon as it registers, many at
 * once (the engine analyzes each registration as it arrives); {@link PolicySession.finish} runs
 * AnalyzeStack over all of them and returns the violations in registration order.
 */
export class PolicySession {
    private constructor(
        private readonly analyzer: Analyzer,
        private readonly anyRemediation: boolean,
    ) {}

    static async open(analyzer: Analyzer, config: unknown, options: RunOptions): Promise<PolicySession> {
        await analyzer.configureStack({
            project: options.project,
            stack: options.stack,
            dryRun: options.dryRun ?? true,
            tags: options.stackTags,
        });
        const info = await analyzer.getAnalyzerInfo();
        const reconciled = reconcilePolicyConfig(info.policies, config);
        await analyzer.configure(reconciled);
        tick("ConfigureStack, GetAnalyzerInfo, Configure done");
        // Remediate runs only remediate-level policies: with none configured it has nothing to say.
        return new PolicySession(
            analyzer,
            [...reconciled.values()].some((c) => c.enforcementLevel === "remediate"),
        );
    }

    /** Remediate, then Analyze on the remediated inputs. */
    async analyze(r: WireResource): Promise<AnalyzedResource> {
        const found: Violation[] = [];
        let properties = r.properties;
        for (const rem of this.anyRemediation ? await this.analyzer.remediate(r) : []) {
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
        const result = await this.analyzer.analyze(remediated);
        found.push(...result.diagnostics.map((d) => toViolation(d, r.urn)));
        return { remediated, found };
    }

    /** AnalyzeStack over every analyzed resource; all violations, in the order given. */
    async finish(analyzed: readonly AnalyzedResource[]): Promise<Violation[]> {
        tick(`Remediate/Analyze of ${analyzed.length} resources done`);
        const violations: Violation[] = analyzed.flatMap((x) => x.found);
        // AnalyzeStack sees outputs: the (remediated) inputs and the id, by which stack policies
        // follow references such as a subnet id in a DB subnet group.
        const stack = await this.analyzer.analyzeStack(
            analyzed.map(({ remediated: r }) =>
                typeof r.id === "string" && r.properties.id === undefined
                    ? { ...r, properties: { ...r.properties, id: r.id } }
                    : r,
            ),
        );
        tick("AnalyzeStack done");
        violations.push(...stack.diagnostics.map((d) => toViolation(d)));
        return violations;
    }
}

/** Runs the pack on `resources` with the `--policy-pack-config` document `config`. */
export async function runPolicies(
    analyzer: Analyzer,
    resources: readonly WireResource[],
    config: unknown,
    options: RunOptions,
): Promise<Violation[]> {
    const session = await PolicySession.open(analyzer, config, options);
    return session.finish(await Promise.all(resources.map((r) => session.analyze(r))));
}
