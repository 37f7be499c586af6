#!/usr/bin/env node
/**
 * Which stacks need a container image, and where their config takes it.
 *
 *   node .github/scripts/image-config.js dev prod >> "$GITHUB_OUTPUT"
 *
 * prints, per stack, `<stack>=<config path>` (empty when its mode runs no container) and
 * `needs-image=true|false` (whether any of them does). It reads `private-app:compute.mode`
 * from `Pulumi.<stack>.yaml`, as the deploy would.
 *
 * The container mode (`ecs`) takes the image by config, set by the deploy job with
 * `pulumi config set --path <path> <registry>/<repository>:<commit sha>` before `pulumi up`,
 * so the task definition stays owned by Pulumi. Its component reads that key and exports the
 * image it runs as the stack output `image` (the preview and drift jobs pin it, so an unchanged
 * image is no diff). `lambda` bundles `app/` itself, and so does `ec2`: its instances run the
 * server bundle from the stack's artifact bucket, no container image.
 */
"use strict";
const fs = require("fs");
const path = require("path");
const { parse } = require("yaml");

/** compute.mode → the config path of its image; null: the mode runs no container. */
const IMAGE_CONFIG_PATH = {
    lambda: null,
    ecs: "compute.ecs.image",
    ec2: null,
};

/** The image config path of one stack, read from its stack file under `root`. */
function imageConfigPath(root, stack) {
    if (!/^[A-Za-z0-9_.-]+$/.test(stack)) throw new Error(`not a stack name: ${JSON.stringify(stack)}`);
    const file = path.join(root, `Pulumi.${stack}.yaml`);
    const doc = parse(fs.readFileSync(file, "utf8")) ?? {};
    const mode = doc.config?.["private-app:compute"]?.mode;
    if (!Object.prototype.hasOwnProperty.call(IMAGE_CONFIG_PATH, mode)) {
        throw new Error(
            `${path.basename(file)}: private-app:compute.mode is ${JSON.stringify(mode)}; expected one of ${Object.keys(IMAGE_CONFIG_PATH).join(", ")}`,
        );
    }
    return IMAGE_CONFIG_PATH[mode];
}

/** The `$GITHUB_OUTPUT` lines for these stacks. */
function outputs(root, stacks) {
    const paths = stacks.map((s) => [s, imageConfigPath(root, s)]);
    return [...paths.map(([s, p]) => `${s}=${p ?? ""}`), `needs-image=${paths.some(([, p]) => p !== null)}`];
}

module.exports = { IMAGE_CONFIG_PATH, imageConfigPath, outputs };

if (require.main === module) {
    try {
        const stacks = process.argv.slice(2);
        if (stacks.length === 0) throw new Error("usage: image-config.js <stack>...");
        process.stdout.write(`${outputs(path.resolve(__dirname, "..", ".."), stacks).join("\n")}\n`);
    } catch (e) {
        process.stderr.write(`::error::${e.message}\n`);
        process.exit(1);
    }
}
