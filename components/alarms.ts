/**
 * The one way alarms are declared: a `aws.cloudwatch.MetricAlarm` per spec, named
 * `<prefix>-<spec.key>`, notifying one SNS topic on alarm and back to OK.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { AlarmSpec } from "../lib/alarm-spec";

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
    specs: readonly AlarmSpec<pulumi.Input<string>>[],
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
                    namespace: spec.namespace,
                    metricName: spec.metricName,
                    dimensions: spec.dimensions,
                    statistic: spec.statistic,
                    comparisonOperator: spec.comparisonOperator,
                    threshold: spec.threshold,
                    period: spec.periodSeconds,
                    evaluationPeriods: spec.evaluationPeriods,
                    ...(spec.datapointsToAlarm !== undefined ? { datapointsToAlarm: spec.datapointsToAlarm } : {}),
                    treatMissingData: spec.treatMissingData,
                    alarmActions: [args.topicArn],
                    okActions: [args.topicArn],
                },
                { parent },
            ),
    );
}
