/**
 * The one way alarms are declared: a `aws.cloudwatch.MetricAlarm` per spec, named
 * `<prefix>-<spec.key>`, notifying one SNS topic on alarm and back to OK.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { AlarmSpec, ExpressionAlarmSpec } from "../lib/alarm-spec";

export interface DeclareAlarmsArgs {
    /** The SNS topic every alarm notifies (`AlarmTopic.topicArn`). */
    topicArn: pulumi.Input<string>;
    /** Put before each description (the database's identifier, say). */
    descriptionPrefix?: string;
}

/** Declares the alarms of `specs` as children of `parent`; their names are `<prefix>-<key>`. */
export function declareAlarms(
    parent: pulumi.Resource,
    prefix: string,
    specs: readonly (AlarmSpec<pulumi.Input<string>> | ExpressionAlarmSpec<pulumi.Input<string>>)[],
    args: DeclareAlarmsArgs,
): aws.cloudwatch.MetricAlarm[] {
    return specs.map(
        (spec) =>
            new aws.cloudwatch.MetricAlarm(
                `${prefix}-${spec.key}`,
                {
                    alarmDescription: args.descriptionPrefix
                        ? `${args.descriptionPrefix}: ${spec.description}`
                        : spec.description,
                    ...("expression" in spec ? metricQueries(spec) : oneMetric(spec)),
                    comparisonOperator: spec.comparisonOperator,
                    threshold: spec.threshold,
                    evaluationPeriods: spec.evaluationPeriods,
                    ...("datapointsToAlarm" in spec && spec.datapointsToAlarm !== undefined
                        ? { datapointsToAlarm: spec.datapointsToAlarm }
                        : {}),
                    treatMissingData: spec.treatMissingData,
                    alarmActions: [args.topicArn],
                    okActions: [args.topicArn],
                },
                { parent },
            ),
    );
}

function oneMetric(spec: AlarmSpec<pulumi.Input<string>>) {
    return {
        namespace: spec.namespace,
        metricName: spec.metricName,
        dimensions: spec.dimensions,
        statistic: spec.statistic,
        period: spec.periodSeconds,
    };
}

/** Metric math: the metrics (not returned) and the expression, the one value the alarm compares. */
function metricQueries(spec: ExpressionAlarmSpec<pulumi.Input<string>>) {
    return {
        metricQueries: [
            ...spec.metrics.map((m) => ({
                id: m.id,
                returnData: false,
                metric: {
                    namespace: m.namespace,
                    metricName: m.metricName,
                    dimensions: m.dimensions,
                    stat: m.statistic,
                    period: m.periodSeconds,
                },
            })),
            { ...spec.expression, returnData: true },
        ],
    };
}
