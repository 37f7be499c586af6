/**
 * Reads a Pulumi project's config the way the Pulumi CLI does for a stack: the project's
 * `config:` block from `Pulumi.yaml`, overridden by the stack file's `config:`. Values come
 * out as the strings the Pulumi runtime hands a program (objects and arrays as JSON).
 *
 * No resource is declared here.
 */
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";

export class StackFileError extends Error {}

export interface StackConfig {
    /** Stack name (`dev` for `Pulumi.dev.yaml`). */
    name: string;
    /** Absolute path of the stack file. */
    file: string;
    /** Project name from Pulumi.yaml. */
    project: string;
    /** Directory of that Pulumi.yaml: the root, or the stack file's own project (`bootstrap/`). */
    projectDir: string;
    /** Full config keys (`namespace:key`) → value as the runtime sees it. */
    config: Record<string, string>;
    /** Keys whose values are secure (encrypted) in the stack file, wholly or in part. */
    secretKeys: string[];
    /** What the offline plan cannot honour in this stack file (printed on stderr). */
    warnings: string[];
}

/** Stack names with a `Pulumi.<name>.yaml` beside `Pulumi.yaml`. */
export function availableStacks(root: string): string[] {
    return fs
        .readdirSync(root)
        .map((f) => /^Pulumi\.(.+)\.ya?ml$/.exec(f)?.[1])
        .filter((n): n is string => n !== undefined)
        .sort();
}

function readYaml(file: string): Record<string, unknown> {
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (e) {
        throw new StackFileError(
            `${file}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
        );
    }
    let doc: unknown;
    try {
        doc = parse(text);
    } catch (e) {
        throw new StackFileError(`${file}: not valid YAML: ${(e as Error).message.split("\n")[0]}`);
    }
    if (doc === null || doc === undefined) return {};
    if (typeof doc !== "object" || Array.isArray(doc))
        throw new StackFileError(`${file}: expected a YAML mapping at the top level`);
    return doc as Record<string, unknown>;
}

function fullKey(project: string, key: string): string {
    return key.includes(":") ? key : `${project}:${key}`;
}

/** `{ secure: "v1:..." }`: a value encrypted by the stack's secrets provider. */
function isSecure(value: unknown): boolean {
    return (
        value !== null &&
        typeof value === "object" &&
        !Array.isArray(value) &&
        Object.keys(value).length === 1 &&
        typeof (value as { secure?: unknown }).secure === "string"
    );
}

/**
 * Replaces every secure value (also nested, as `pulumi config set --path --secret` writes them)
 * by "[secret]": offline there is no key to decrypt it. Returns whether any was found.
 */
function maskSecure(value: unknown): { value: unknown; secret: boolean } {
    if (isSecure(value)) return { value: "[secret]", secret: true };
    if (Array.isArray(value)) {
        const items = value.map(maskSecure);
        return { value: items.map((i) => i.value), secret: items.some((i) => i.secret) };
    }
    if (value !== null && typeof value === "object") {
        let secret = false;
        const out: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(value)) {
            const m = maskSecure(v);
            out[k] = m.value;
            secret ||= m.secret;
        }
        return { value: out, secret };
    }
    return { value, secret: false };
}

function asConfigString(value: unknown): string {
    return typeof value === "string" ? value : JSON.stringify(value);
}

/**
 * Loads the config of a stack given by name (`dev`) or by the path of a stack file.
 * Throws {@link StackFileError} for an unknown stack or an unreadable file.
 */
export function loadStack(root: string, stackOrFile: string): StackConfig {
    let projectFile = path.join(root, "Pulumi.yaml");
    let project = readYaml(projectFile);
    let projectName = typeof project.name === "string" ? project.name : undefined;
    if (!projectName) throw new StackFileError(`${projectFile}: missing the project name`);

    const asPath = path.resolve(stackOrFile);
    let file: string;
    let name: string;
    if (/\.ya?ml$/.test(stackOrFile) || stackOrFile.includes(path.sep)) {
        if (!fs.existsSync(asPath)) throw new StackFileError(`no stack file ${stackOrFile}`);
        file = asPath;
        name = /Pulumi\.(.+)\.ya?ml$/.exec(path.basename(file))?.[1] ?? path.basename(file).replace(/\.ya?ml$/, "");
    } else {
        const candidates = [`Pulumi.${stackOrFile}.yaml`, `Pulumi.${stackOrFile}.yml`].map((f) => path.join(root, f));
        const found = candidates.find((f) => fs.existsSync(f));
        if (!found) {
            throw new StackFileError(
                `unknown stack "${stackOrFile}": no Pulumi.${stackOrFile}.yaml in ${root} (stacks: ${availableStacks(root).join(", ") || "none"}; or give the path of a stack file)`,
            );
        }
        file = found;
        name = stackOrFile;
    }
    // As with the Pulumi CLI, a stack file belongs to the project beside it: a stack file in
    // another project's folder (bootstrap/Pulumi.shared.yaml) is read with that project's
    // Pulumi.yaml, namespace and defaults; anywhere else, with the root project's.
    const projectDir = fs.existsSync(path.join(path.dirname(file), "Pulumi.yaml")) ? path.dirname(file) : root;
    if (path.resolve(projectDir) !== path.resolve(root)) {
        projectFile = path.join(projectDir, "Pulumi.yaml");
        project = readYaml(projectFile);
        projectName = typeof project.name === "string" ? project.name : undefined;
        if (!projectName) throw new StackFileError(`${projectFile}: missing the project name`);
    }

    const config: Record<string, string> = {};
    const secretKeys: string[] = [];
    const projectConfig = (project.config ?? {}) as Record<string, unknown>;
    for (const [key, decl] of Object.entries(projectConfig)) {
        // A project-level entry is a plain value, `{ value: v }`, or a schema `{ type, default }`.
        if (decl !== null && typeof decl === "object" && !Array.isArray(decl)) {
            const d = decl as Record<string, unknown>;
            if ("value" in d) config[fullKey(projectName, key)] = asConfigString(d.value);
            else if ("default" in d) config[fullKey(projectName, key)] = asConfigString(d.default);
        } else if (decl !== undefined) {
            config[fullKey(projectName, key)] = asConfigString(decl);
        }
    }
    const stackDoc = readYaml(file);
    const stackConfig = stackDoc.config ?? {};
    if (typeof stackConfig !== "object" || Array.isArray(stackConfig))
        throw new StackFileError(`${file}: "config" must be a mapping`);
    for (const [key, value] of Object.entries(stackConfig as Record<string, unknown>)) {
        const k = fullKey(projectName, key);
        // Encrypted with the stack's secrets provider; offline there is no key to decrypt it.
        const masked = maskSecure(value);
        config[k] = asConfigString(masked.value);
        if (masked.secret) secretKeys.push(k);
    }
    const warnings: string[] = [];
    if (stackDoc.environment !== undefined) {
        warnings.push(
            `${path.basename(file)} imports ESC environment(s) ${JSON.stringify(stackDoc.environment)}; the offline plan cannot read them, so only the stack file's own config is used`,
        );
    }
    if (secretKeys.length > 0) {
        warnings.push(
            `secure values of ${secretKeys.join(", ")} cannot be decrypted offline; the plan uses "[secret]" in their place`,
        );
    }
    return { name, file, project: projectName, projectDir, config, secretKeys, warnings };
}
