"""Ansible module: target tracking on SQS backlog per in-service instance (metric math), which community.aws lacks."""

from __future__ import annotations

DOCUMENTATION = r"""
module: asg_backlog_policy
short_description: Ensure a target-tracking scaling policy on queue backlog per instance
description:
  - Tracks ApproximateNumberOfMessagesVisible of an SQS queue divided by the group's GroupInServiceInstances.
  - Updates the policy only when its configuration differs, so a second run reports no change.
options:
  group: {description: Auto Scaling group name., required: true, type: str}
  name: {description: Policy name., required: true, type: str}
  queue_name: {description: SQS queue name., required: true, type: str}
  target: {description: Messages waiting per instance to aim for., required: true, type: float}
  warmup: {description: Seconds before a new instance counts., type: int, default: 300}
  region: {description: AWS region., required: true, type: str}
  endpoint_url: {description: Endpoint override (tests)., type: str}
author: VideoForge
"""

RETURN = r"""
policy_arn: {description: ARN of the policy., returned: when not in check mode, type: str}
"""

from ansible.module_utils.basic import AnsibleModule


def configuration(group: str, queue_name: str, target: float) -> dict:
    """TargetTrackingConfiguration: backlog / max(in-service, 1), so a group at zero still reports its backlog."""
    def stat(metric_id, namespace, metric, dimension, value):
        return {"Id": metric_id, "ReturnData": False, "MetricStat": {
            "Metric": {"Namespace": namespace, "MetricName": metric, "Dimensions": [{"Name": dimension, "Value": value}]},
            "Stat": "Average"}}

    return {
        "TargetValue": float(target),
        "DisableScaleIn": False,
        "CustomizedMetricSpecification": {"Metrics": [
            stat("backlog", "AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", queue_name),
            stat("instances", "AWS/AutoScaling", "GroupInServiceInstances", "AutoScalingGroupName", group),
            {"Id": "per_instance", "Label": "Backlog per instance", "ReturnData": True,
             "Expression": "backlog / IF(instances > 0, instances, 1)"},
        ]},
    }


def without_empty(value):
    """The value without empty lists, dicts or None anywhere inside: a description may add them (`Dimensions: []`)."""
    if isinstance(value, dict):
        pruned = {key: without_empty(item) for key, item in value.items()}
        return {key: item for key, item in pruned.items() if item not in (None, [], {})}
    if isinstance(value, list):
        return [without_empty(item) for item in value]
    return value


def main():
    module = AnsibleModule(
        argument_spec=dict(group=dict(required=True), name=dict(required=True), queue_name=dict(required=True),
                           target=dict(type="float", required=True), warmup=dict(type="int", default=300),
                           region=dict(required=True), endpoint_url=dict()),
        supports_check_mode=True,
    )
    import boto3

    p = module.params
    autoscaling = boto3.client("autoscaling", region_name=p["region"], endpoint_url=p["endpoint_url"] or None)
    wanted = configuration(p["group"], p["queue_name"], p["target"])
    found = autoscaling.describe_policies(AutoScalingGroupName=p["group"], PolicyNames=[p["name"]])["ScalingPolicies"]
    current = found[0] if found else {}
    same = (without_empty(current.get("TargetTrackingConfiguration")) == without_empty(wanted)
            and current.get("EstimatedInstanceWarmup") == p["warmup"])
    if same:
        module.exit_json(changed=False, policy_arn=current["PolicyARN"])
    if module.check_mode:
        module.exit_json(changed=True)
    arn = autoscaling.put_scaling_policy(
        AutoScalingGroupName=p["group"], PolicyName=p["name"], PolicyType="TargetTrackingScaling",
        EstimatedInstanceWarmup=p["warmup"], TargetTrackingConfiguration=wanted)["PolicyARN"]
    module.exit_json(changed=True, policy_arn=arn)


if __name__ == "__main__":
    main()
