/**
 * One description of a CloudWatch metric alarm, for every component that declares alarms
 * (the database, the compute modes). Planners return lists of these; one helper
 * (`components/alarms.ts`, `declareAlarms`) declares them, all notifying one topic.
 *
 * Pure module: no Pulumi resource declarations.
 */

export type AlarmNamespace = "AWS/RDS" | "AWS/Lambda" | "AWS/ApiGateway";

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
    statistic: "Average" | "Minimum" | "Maximum" | "Sum";
    comparisonOperator: "GreaterThanThreshold" | "LessThanThreshold";
    threshold: number;
    periodSeconds: number;
    evaluationPeriods: number;
    /** Breaching datapoints among `evaluationPeriods` (AWS's default when unset: all of them). */
    datapointsToAlarm?: number;
    /**
     * No data is no traffic, or a paused or stopped database: not an alarm.
     */
    treatMissingData: "notBreaching";
}
