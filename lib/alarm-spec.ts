/**
 * One description of a CloudWatch metric alarm, for every component that declares alarms
 * (the database, the compute modes). Planners return lists of these; one helper
 * (`components/alarms.ts`, `declareAlarms`) declares them, all notifying one topic.
 *
 * Pure module: no Pulumi resource declarations.
 */

export type AlarmNamespace =
    "AWS/RDS" | "AWS/Lambda" | "AWS/ApiGateway" | "AWS/ApplicationELB" | "ECS/ContainerInsights" | "AWS/AutoScaling";

export type AlarmStatistic = "Average" | "Minimum" | "Maximum" | "Sum";
export type AlarmComparison = "GreaterThanThreshold" | "GreaterThanOrEqualToThreshold" | "LessThanThreshold";

/**
 * A metric alarm. `T` is the type of dimension values not known while planning (a function
 * name the provider assigns is a `pulumi.Output<string>` in the component); plain strings
 * otherwise.
 */
export interface AlarmSpec<T = string> {
    /** Suffix of the alarm's logical name (`<component>-<key>`): never change it (URN). */
    key: string;
    /** What the alarm means and what to do, for the alarm description. */
    description: string;
    namespace: AlarmNamespace;
    metricName: string;
    dimensions: Record<string, T | string>;
    statistic: AlarmStatistic;
    comparisonOperator: AlarmComparison;
    threshold: number;
    periodSeconds: number;
    evaluationPeriods: number;
    /** Breaching datapoints among `evaluationPeriods` (AWS's default when unset: all of them). */
    datapointsToAlarm?: number;
    /**
     * `notBreaching`: no data is no traffic, or a paused or stopped database, not an alarm.
     * `breaching`: no data means the thing watched is gone (no running task reports).
     */
    treatMissingData: "notBreaching" | "breaching";
}

/**
 * An alarm on an expression over metrics (CloudWatch metric math): `expression` combines the
 * `metrics`, each named by its `id`; the alarm compares the expression's value.
 */
export interface ExpressionAlarmSpec<T = string> {
    /** Suffix of the alarm's logical name (`<component>-<key>`): never change it (URN). */
    key: string;
    description: string;
    expression: {
        /** The expression's id (lower-case first letter, as CloudWatch requires). */
        id: string;
        /** Metric math over the metrics' ids, e.g. `desired - inService`. */
        expression: string;
        label: string;
    };
    metrics: {
        id: string;
        namespace: AlarmNamespace;
        metricName: string;
        dimensions: Record<string, T | string>;
        statistic: AlarmStatistic;
        periodSeconds: number;
    }[];
    comparisonOperator: AlarmComparison;
    threshold: number;
    evaluationPeriods: number;
    /** `breaching` where missing data means the thing watched is gone (a group's metrics). */
    treatMissingData: "notBreaching" | "breaching";
}

/** What the load balancer's alarms watch: its and the target group's CloudWatch dimensions. */
export interface LoadBalancerAlarmTargets<T> {
    loadBalancer: T;
    targetGroup: T;
}

/**
 * The public entry's alarms, the same for every mode behind a load balancer (`ecs`, `ec2`):
 * the app's 5xx answers (5 or more in 5 minutes) and a target failing the liveness check for 3
 * minutes. `targets` names what is registered ("task", "instance") in the descriptions.
 */
export function loadBalancerAlarmSpecs<T>(
    t: LoadBalancerAlarmTargets<T>,
    targets: "task" | "instance",
): AlarmSpec<T>[] {
    const dimensions = { LoadBalancer: t.loadBalancer, TargetGroup: t.targetGroup };
    return [
        {
            key: "target-5xx",
            description: "The app answered 5xx to the load balancer (5 or more in 5 minutes)",
            namespace: "AWS/ApplicationELB",
            metricName: "HTTPCode_Target_5XX_Count",
            dimensions,
            statistic: "Sum",
            periodSeconds: 300,
            evaluationPeriods: 1,
            threshold: 5,
            comparisonOperator: "GreaterThanOrEqualToThreshold",
            treatMissingData: "notBreaching",
        },
        {
            key: "unhealthy-hosts",
            description: `${targets === "task" ? "A task" : "An instance"} fails the load balancer's liveness check`,
            namespace: "AWS/ApplicationELB",
            metricName: "UnHealthyHostCount",
            dimensions,
            statistic: "Maximum",
            periodSeconds: 60,
            evaluationPeriods: 3,
            threshold: 1,
            comparisonOperator: "GreaterThanOrEqualToThreshold",
            treatMissingData: "notBreaching",
        },
    ];
}
