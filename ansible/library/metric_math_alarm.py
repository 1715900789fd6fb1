"""Ansible module: a CloudWatch alarm on a metric math expression, written only when it differs (amazon.aws's
cloudwatch_metric_alarm leaves `Metrics` out of its comparison but not out of what it wants, so it rewrites a math
alarm on every run and never reports `changed=0`)."""

from __future__ import annotations

DOCUMENTATION = r"""
module: metric_math_alarm
short_description: Ensure a CloudWatch alarm over metric math (MetricDataQuery list), idempotently
options:
  name: {description: Alarm name., required: true, type: str}
  description: {description: Alarm description., type: str, default: ""}
  metrics: {description: MetricDataQuery structures as the API takes them (Id, MetricStat or Expression...)., required: true, type: list, elements: dict}
  comparison: {description: ComparisonOperator., required: true, type: str}
  threshold: {description: Threshold., required: true, type: float}
  evaluation_periods: {description: Periods to evaluate., type: int, default: 1}
  treat_missing_data: {description: missing, ignore, breaching or notBreaching., type: str, default: missing}
  alarm_actions: {description: ARNs to notify or run on ALARM., type: list, elements: str, default: []}
  region: {description: AWS region., required: true, type: str}
  endpoint_url: {description: Endpoint override (tests)., type: str}
author: VideoForge
"""

RETURN = r"""
alarm_arn: {description: ARN of the alarm (empty in check mode before creation)., returned: always, type: str}
"""

from ansible.module_utils.basic import AnsibleModule

COMPARED = ("AlarmDescription", "Metrics", "ComparisonOperator", "Threshold", "EvaluationPeriods", "TreatMissingData",
            "AlarmActions")


def without_empty(value):
    """The value without empty lists, dicts or None anywhere inside: a description may add them (`Dimensions: []`)."""
    if isinstance(value, dict):
        pruned = {key: without_empty(item) for key, item in value.items()}
        return {key: item for key, item in pruned.items() if item not in (None, [], {}, "")}
    if isinstance(value, list):
        return [without_empty(item) for item in value]
    return value


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(required=True), description=dict(default=""),
            metrics=dict(type="list", elements="dict", required=True), comparison=dict(required=True),
            threshold=dict(type="float", required=True), evaluation_periods=dict(type="int", default=1),
            treat_missing_data=dict(default="missing"), alarm_actions=dict(type="list", elements="str", default=[]),
            region=dict(required=True), endpoint_url=dict(),
        ),
        supports_check_mode=True,
    )
    import boto3

    p = module.params
    cloudwatch = boto3.client("cloudwatch", region_name=p["region"], endpoint_url=p["endpoint_url"] or None)
    wanted = {
        "AlarmName": p["name"], "AlarmDescription": p["description"], "Metrics": p["metrics"],
        "ComparisonOperator": p["comparison"], "Threshold": p["threshold"],
        "EvaluationPeriods": p["evaluation_periods"], "TreatMissingData": p["treat_missing_data"],
        "AlarmActions": p["alarm_actions"],
    }
    found = cloudwatch.describe_alarms(AlarmNames=[p["name"]])["MetricAlarms"]
    current = found[0] if found else None
    if current is not None and all(without_empty(current.get(key)) == without_empty(wanted[key]) for key in COMPARED):
        module.exit_json(changed=False, alarm_arn=current["AlarmArn"])
    if module.check_mode:
        module.exit_json(changed=True, alarm_arn=current["AlarmArn"] if current else "")
    cloudwatch.put_metric_alarm(**wanted)
    arn = cloudwatch.describe_alarms(AlarmNames=[p["name"]])["MetricAlarms"][0]["AlarmArn"]
    module.exit_json(changed=True, alarm_arn=arn)


if __name__ == "__main__":
    main()
