/**
 * What every compute mode hands the program: where the app is reached and what was deployed.
 * No resource is declared here.
 */
import * as pulumi from "@pulumi/pulumi";
import type { ComputeMode } from "../../lib/compute-plan";

export interface ComputeService {
    mode: ComputeMode;
    /** The public entry: the only address of the stack reachable from the internet. */
    url: pulumi.Output<string>;
    /** The security group the app runs in (admitted to the database, or to its proxy). */
    securityGroupId: pulumi.Output<string>;
    /** Names of what runs the app and its migrations (functions, services, groups), by role. */
    deployed: Record<string, pulumi.Output<string>>;
    /** The container image (container modes only). */
    image?: pulumi.Output<string>;
}
