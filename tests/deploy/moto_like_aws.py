"""`moto_server` with the defaults real AWS reports and moto leaves out, for applying provision.yml whole.

Run as `python -m tests.deploy.moto_like_aws -H 127.0.0.1 -p PORT` (the same arguments as moto_server).
Each patch names the gap; docs/deploy.md lists them with what cannot be emulated at all.
"""

from __future__ import annotations

import sys

from moto.autoscaling import responses as autoscaling
from moto.core.responses import ActionResult, EmptyResult
from moto.ec2 import utils as ec2_utils
from moto.ec2.responses import launch_templates
from moto.ecs import models as ecs
from moto.ecs import responses as ecs_responses
from moto.elbv2 import models as elbv2
from moto.rds import models as rds
from moto.server import main


def _report_default_idle_timeout() -> None:
    """AWS reports `idle_timeout.timeout_seconds` (60) on every ALB; moto omits it (for Terraform's sake), and
    amazon.aws.elb_application_lb then fails with a KeyError when it compares the timeout the role sets."""
    original = elbv2.FakeLoadBalancer.__init__

    def __init__(self, *args, **kwargs):
        original(self, *args, **kwargs)
        if self.type == "application":
            self.attrs.setdefault("idle_timeout.timeout_seconds", "60")

    elbv2.FakeLoadBalancer.__init__ = __init__


def _name_the_scaling_policy_arn_as_aws_does() -> None:
    """PutScalingPolicy answers `PolicyARN`; moto 5.2 writes `PolicyArn`, which botocore drops, so the ARN of a new
    policy never reaches the caller (our asg_backlog_policy module fails with KeyError: 'PolicyARN')."""
    original = autoscaling.AutoScalingResponse.put_scaling_policy

    def put_scaling_policy(self):
        return ActionResult({"PolicyARN": original(self).result["PolicyArn"]})

    autoscaling.AutoScalingResponse.put_scaling_policy = put_scaling_policy


def _tag_nat_gateways_as_aws_does() -> None:
    """DescribeTags calls a NAT gateway's resource type `natgateway`; moto says `nat-gateway`, so a filter on the
    real name finds no tags and ec2_vpc_nat_gateway re-adds them on every run (never `changed=0`)."""
    ec2_utils.EC2_PREFIX_TO_RESOURCE["nat"] = "natgateway"  # the same dict object moto's tag filter reads


def _report_gp3_baseline_of_databases() -> None:
    """An RDS gp3 volume under 400 GiB always reports its baseline, 3,000 IOPS and 125 MiB/s; moto reports neither
    unless given, and amazon.aws.rds_instance fails with KeyError: 'StorageThroughput' on the second run."""
    original = rds.DBInstance.__init__

    def __init__(self, *args, **kwargs):
        original(self, *args, **kwargs)
        if self.storage_type == "gp3":
            self.iops = self.iops or 3000
            self.storage_throughput = self.storage_throughput or 125

    rds.DBInstance.__init__ = __init__


def _disable_metrics_collection() -> None:
    """amazon.aws.autoscaling_group calls DisableMetricsCollection on every update of a group without metrics (a
    no-op on AWS); moto 5.2 has not implemented it and answers 500."""

    def disable_metrics_collection(self):
        group = self.autoscaling_backend.describe_auto_scaling_groups([self._get_param("AutoScalingGroupName")])[0]
        names = self._get_param("Metrics") or []
        group.metrics = [metric for metric in group.metrics or [] if names and metric not in names]
        return EmptyResult()

    autoscaling.AutoScalingResponse.disable_metrics_collection = disable_metrics_collection


def _keep_template_tags_out_of_its_data() -> None:
    """CreateLaunchTemplate's tags belong to the template; moto also copies them into version 1's data, so the
    next run's comparison sees a difference and ec2_launch_template adds a version (never `changed=0`)."""
    original = launch_templates.LaunchTemplates.create_launch_template

    def create_launch_template(self):
        result = original(self)
        template = self.ec2_backend.get_launch_template_by_name(self._get_param("LaunchTemplateName"))
        data = template.versions[0].data
        specs = [s for s in data.get("TagSpecifications", []) if s["ResourceType"] != "launch-template"]
        if specs:
            data["TagSpecifications"] = specs
        else:
            data.pop("TagSpecifications", None)
        return result

    launch_templates.LaunchTemplates.create_launch_template = create_launch_template


def _report_empty_capacity_providers() -> None:
    """DescribeClusters always lists `capacityProviders` and `defaultCapacityProviderStrategy`, empty or not; moto
    leaves them out, and community.aws.ecs_cluster fails with KeyError on its second run."""
    original = ecs.Cluster.__init__

    def __init__(self, *args, **kwargs):
        original(self, *args, **kwargs)
        self.capacity_providers = self.capacity_providers or []
        self.default_capacity_provider_strategy = self.default_capacity_provider_strategy or []

    ecs.Cluster.__init__ = __init__


def _keep_what_new_services_are_created_with() -> None:
    """CreateService keeps `healthCheckGracePeriodSeconds` and `deploymentConfiguration`; moto drops both (its
    UpdateService keeps them), so community.aws.ecs_service finds a difference and updates the service on the
    second run, and a described service has no circuit breaker."""
    original = ecs_responses.EC2ContainerServiceResponse.create_service

    def create_service(self):
        result = original(self)
        service = result.result["service"]
        for name, attribute in (("healthCheckGracePeriodSeconds", "health_check_grace_period_seconds"),
                                ("deploymentConfiguration", "deployment_configuration")):
            value = self._get_param(name)
            if value is not None:
                setattr(service, attribute, value)
        return result

    ecs_responses.EC2ContainerServiceResponse.create_service = create_service


if __name__ == "__main__":
    _report_default_idle_timeout()
    _name_the_scaling_policy_arn_as_aws_does()
    _tag_nat_gateways_as_aws_does()
    _report_gp3_baseline_of_databases()
    _disable_metrics_collection()
    _keep_template_tags_out_of_its_data()
    _report_empty_capacity_providers()
    _keep_what_new_services_are_created_with()
    sys.exit(main())
