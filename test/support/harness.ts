/**
 * Helpers for component tests under Pulumi mocks: install the recording mocks, wait until
 * every registration has settled, read outputs, and pick resources out of the record.
 */
import * as pulumi from "@pulumi/pulumi";
import { installRecordingMocks, RecordedResource, RecordingMocks } from "../../tools/mocks";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const settings = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> };

/** Installs fresh recording mocks (call in `before`/`beforeEach`, before declaring resources). */
export function useMocks(
    stack = "test",
    options: { preview?: boolean; region?: string } = {},
): Promise<RecordingMocks> {
    return installRecordingMocks("private-app", stack, options);
}

/** Waits for every pending registration and returns the full record. */
export async function settle(mocks: RecordingMocks): Promise<RecordedResource[]> {
    await settings.waitForRPCs();
    return mocks.snapshot();
}

/** The value of an output (undefined when unknown). */
export function valueOf<T>(output: pulumi.Input<T> | pulumi.Output<T>): Promise<T> {
    return new Promise<T>((resolve) =>
        pulumi.output(output).apply((v) => {
            resolve(v as T);
            return v;
        }),
    );
}

/** Resources of a type, optionally filtered by a name predicate. */
export function ofType(resources: RecordedResource[], type: string, name?: (n: string) => boolean): RecordedResource[] {
    return resources.filter((r) => r.type === type && (name === undefined || name(r.name)));
}

/** The one resource of a type (and name); throws with the candidates when not exactly one. */
export function one(resources: RecordedResource[], type: string, name?: string): RecordedResource {
    const found = resources.filter((r) => r.type === type && (name === undefined || r.name === name));
    if (found.length !== 1) {
        throw new Error(
            `expected exactly one ${type}${name ? ` named ${name}` : ""}, found ${found.length}: ${found.map((r) => r.name).join(", ")}`,
        );
    }
    return found[0];
}

/** The resource whose mock id is `id`. */
export function byId(resources: RecordedResource[], id: unknown): RecordedResource | undefined {
    return resources.find((r) => r.id !== null && r.id === id);
}
