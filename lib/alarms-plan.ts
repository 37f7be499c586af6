/**
 * Pure planning for the alarm topic: who is notified. The database's thresholds (the other
 * keys of the `alarms` config object) are checked by `planDatabase`, which uses them.
 *
 * No Pulumi resource declarations.
 */
import { Problem, problem } from "./problems";

export interface AlarmTopicOptions {
    /**
     * Email addresses subscribed to the topic. Each address receives a confirmation mail from
     * AWS and gets alarms only after confirming it.
     * @default [] (the topic exists so that other subscribers can be added outside this stack)
     */
    emails?: readonly string[];
}

const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

export function planAlarms(o: AlarmTopicOptions): Problem[] {
    const problems: Problem[] = [];
    const seen = new Set<string>();
    for (const [i, email] of (o.emails ?? []).entries()) {
        if (typeof email !== "string" || !EMAIL.test(email)) {
            problems.push(problem(`emails[${i}]`, email, "expected an email address", "correct or remove it"));
        } else if (seen.has(email.toLowerCase())) {
            problems.push(problem(`emails[${i}]`, email, "is listed twice", "remove the duplicate"));
        }
        if (typeof email === "string") seen.add(email.toLowerCase());
    }
    return problems;
}
