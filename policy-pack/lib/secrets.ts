/**
 * Pure predicates for plain-text secrets in environment variables (Lambda `environment.variables`,
 * ECS container definitions' `environment`).
 *
 * A variable is a plain-text secret when its value is a known, non-empty literal and
 * - its name looks secret (matches one of the name patterns) and not like a reference
 *   (does not match one of the reference-name patterns) and its value is not an ARN, or
 * - whatever its name, its value is a URL with a password in it (`postgres://user:pw@host/db`).
 *
 * Values are never echoed in messages. Pure: no `@pulumi/*` imports.
 */
import { asArray, asRecord, asString, get, UNKNOWN } from "./props";

/** An environment variable as declared, value possibly unknown. */
export interface EnvVar {
    /** Where it is declared, for messages: `environment.variables.DB_PASSWORD`, `containerDefinitions[0].environment[2]`. */
    location: string;
    name: string;
    value: unknown;
}

/** Why a variable is considered a plain-text secret. */
export type SecretReason = "secret-name" | "credentials-in-url";

export interface SecretMatchers {
    names: readonly RegExp[];
    referenceNames: readonly RegExp[];
    /** One line per configured pattern that is not a valid JavaScript regular expression. */
    problems: readonly string[];
}

/**
 * Compiles the configured patterns (case-insensitive, JavaScript syntax). An invalid pattern is
 * not thrown but listed in `problems`: the config schema cannot check patterns portably (the
 * Pulumi CLI would check `format: "regex"` with Go's engine, which accepts `(?i)...`), so the
 * pack says what is wrong itself, the same way under the CLI and offline.
 */
export function compileMatchers(
    namePatterns: readonly string[],
    referenceNamePatterns: readonly string[],
): SecretMatchers {
    const problems: string[] = [];
    const compile = (key: string, patterns: readonly string[]) =>
        patterns.flatMap((p, i) => {
            try {
                return [new RegExp(p, "i")];
            } catch (e) {
                const inline = /^\(\?[a-z]+\)/i.test(p)
                    ? "; drop inline flags such as (?i): matching is already case-insensitive"
                    : "";
                problems.push(
                    `${key}[${i}] ${JSON.stringify(p)} is not a valid regular expression (JavaScript syntax: ${(e as Error).message}${inline})`,
                );
                return [];
            }
        });
    return {
        names: compile("namePatterns", namePatterns),
        referenceNames: compile("referenceNamePatterns", referenceNamePatterns),
        problems,
    };
}

/** `arn:aws:...`, `arn:aws-us-gov:...`, `arn:aws-cn:...` */
export function isArn(value: string): boolean {
    return /^arn:aws[a-z-]*:[a-z0-9-]+:/i.test(value.trim());
}

/** A URL whose user-info carries a password: `scheme://user:password@host...`. */
export function hasCredentialsInUrl(value: string): boolean {
    return /^[a-z][a-z0-9+.-]*:\/\/[^/\s:@]*:[^/\s@]+@/i.test(value.trim());
}

/** The reason `v` is a plain-text secret, or undefined when it is not (or cannot be told). */
export function secretReason(v: EnvVar, m: SecretMatchers): SecretReason | undefined {
    const value = asString(v.value);
    if (typeof value !== "string" || value.trim() === "") {
        return undefined; // unknown, absent or empty: nothing to leak
    }
    if (hasCredentialsInUrl(value)) {
        return "credentials-in-url";
    }
    if (isArn(value)) {
        return undefined;
    }
    if (m.names.some((r) => r.test(v.name)) && !m.referenceNames.some((r) => r.test(v.name))) {
        return "secret-name";
    }
    return undefined;
}

/** The variables of a Lambda function's `environment.variables` map. */
export function lambdaEnv(props: unknown): EnvVar[] {
    const vars = asRecord(get(get(props, "environment"), "variables"));
    if (vars === UNKNOWN || vars === undefined) {
        return [];
    }
    return Object.keys(vars).map((name) => ({
        location: `environment.variables.${name}`,
        name,
        value: get(vars, name),
    }));
}

/**
 * The `environment` entries of an ECS task definition's `containerDefinitions`, which the
 * provider takes as a JSON string (an already-parsed array is accepted too). Unparseable or
 * unknown definitions give no entries.
 */
export function containerEnv(props: unknown): EnvVar[] {
    let defs: unknown = get(props, "containerDefinitions");
    if (typeof defs === "string") {
        try {
            defs = JSON.parse(defs);
        } catch {
            return [];
        }
    }
    const containers = asArray(defs);
    if (containers === UNKNOWN || containers === undefined) {
        return [];
    }
    const out: EnvVar[] = [];
    containers.forEach((c, ci) => {
        const env = asArray(get(c, "environment"));
        if (env === UNKNOWN || env === undefined) {
            return;
        }
        const containerName = asString(get(c, "name"));
        env.forEach((e, ei) => {
            const name = asString(get(e, "name"));
            if (typeof name !== "string") {
                return;
            }
            out.push({
                location: `containerDefinitions[${ci}]${typeof containerName === "string" ? ` ("${containerName}")` : ""}.environment[${ei}]`,
                name,
                value: get(e, "value"),
            });
        });
    });
    return out;
}
