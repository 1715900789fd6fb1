"""`moto_server` with the defaults real AWS reports and moto leaves out, for applying provision.yml whole.

Run as `python -m tests.deploy.moto_like_aws -H 127.0.0.1 -p PORT` (the same arguments as moto_server).
Each patch names the gap; docs/deploy.md lists them with what cannot be emulated at all.
"""

from __future__ import annotations

import json
import sys
from urllib.parse import unquote

from moto.autoscaling import responses as autoscaling
from moto.awslambda import models as awslambda
from moto.awslambda import responses as awslambda_responses
from moto.cloudfront import models as cloudfront
from moto.cloudfront.exceptions import CloudFrontException
from moto.cloudfront.responses import CloudFrontResponse
from moto.core.responses import ActionResult, EmptyResult
from moto.core.utils import utcnow
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


# CloudFront policy kinds moto lacks: the shape name in the API, and the error for an unknown id.
_POLICY_KINDS = {"cache": ("CachePolicy", "NoSuchCachePolicy"),
                 "response_headers": ("ResponseHeadersPolicy", "NoSuchResponseHeadersPolicy")}


def _stored_policies(response: CloudFrontResponse, kind: str) -> dict:
    return response.backend.__dict__.setdefault(f"videoforge_{kind}_policies", {})


def _stored_policy(response: CloudFrontResponse, kind: str) -> dict:
    policy = _stored_policies(response, kind).get(response._get_param("Id"))
    if policy is None:
        raise CloudFrontException(_POLICY_KINDS[kind][1], f"The {_POLICY_KINDS[kind][0]} does not exist.")
    return policy


def _without_etag(policy: dict) -> dict:
    return {key: value for key, value in policy.items() if key != "ETag"}


def _policy_handlers(kind: str) -> dict:
    """CreateXPolicy, GetXPolicy, UpdateXPolicy and ListXPolicies for one kind, as CloudFrontResponse methods."""
    shape = _POLICY_KINDS[kind][0]

    def create(self):
        policy = {"Id": str(cloudfront.random.uuid4()), "LastModifiedTime": utcnow(),
                  f"{shape}Config": self._get_param(f"{shape}Config"), "ETag": cloudfront.random_id()}
        _stored_policies(self, kind)[policy["Id"]] = policy
        return ActionResult({shape: _without_etag(policy), "ETag": policy["ETag"]})

    def get(self):
        policy = _stored_policy(self, kind)
        return ActionResult({shape: _without_etag(policy), "ETag": policy["ETag"]})

    def update(self):
        policy = _stored_policy(self, kind)
        if self._get_param("IfMatch") != policy["ETag"]:
            raise CloudFrontException("PreconditionFailed", "The If-Match version is missing or not valid.")
        policy.update({f"{shape}Config": self._get_param(f"{shape}Config"), "LastModifiedTime": utcnow(),
                       "ETag": cloudfront.random_id()})
        return ActionResult({shape: _without_etag(policy), "ETag": policy["ETag"]})

    def listing(self):
        policies = [] if self._get_param("Type") == "managed" else _stored_policies(self, kind).values()
        items = [{"Type": "custom", shape: _without_etag(policy)} for policy in policies]
        return ActionResult({f"{shape}List": {"MaxItems": 100, "Quantity": len(items), "Items": items}})

    return {f"create_{kind}_policy": create, f"get_{kind}_policy": get, f"update_{kind}_policy": update,
            f"list_{kind}_policies": listing}


def _serve_cloudfront_policies() -> None:
    """CloudFront cache policies and response headers policies (Create, Get, List, Update) are not in moto 5.2: it
    answers NotImplemented, so the aws_cdn role could not make its path-only cache key or its CORS answer. Kept as
    AWS keeps them: an id, the config as sent, an ETag that every update replaces and that an update must name
    (IfMatch), and custom policies only in `list_*_policies` (AWS's managed ones are left out)."""
    for kind in _POLICY_KINDS:
        for name, handler in _policy_handlers(kind).items():
            setattr(CloudFrontResponse, name, handler)


def _update_key_groups() -> None:
    """UpdateKeyGroup is not in moto 5.2; key rotation adds a second public key to the group (docs/deploy.md), and
    AWS answers with a new ETag."""

    def update_key_group(self):
        group = self.backend.get_key_group(self._get_param("Id"))
        if self._get_param("IfMatch") != group.etag:
            raise CloudFrontException("PreconditionFailed", "The If-Match version is missing or not valid.")
        group.name = self._get_param("KeyGroupConfig.Name")
        group.items = self._get_param("KeyGroupConfig.Items", [])
        group.etag = cloudfront.random_id(length=14)
        return ActionResult({"KeyGroup": group, "ETag": group.etag})

    CloudFrontResponse.update_key_group = update_key_group


def _keep_snapstart_of_functions() -> None:
    """CreateFunction and UpdateFunctionConfiguration take `SnapStart`; moto drops it and always reports ApplyOn
    None, so lambda_image_function would find a difference on every run (never `changed=0`). AWS reports what was
    set, and OptimizationStatus On for a published version of a function that applies it."""
    original_init = awslambda.LambdaFunction.__init__
    original_update = awslambda.LambdaFunction.update_configuration
    original_configuration = awslambda.LambdaFunction.get_configuration

    def __init__(self, account_id, spec, *args, **kwargs):
        self.snap_start = (spec.get("SnapStart") or {}).get("ApplyOn") or "None"
        original_init(self, account_id, spec, *args, **kwargs)

    def update_configuration(self, config_updates):
        if "SnapStart" in config_updates:
            self.snap_start = config_updates["SnapStart"].get("ApplyOn") or "None"
        return original_update(self, config_updates)

    def get_configuration(self, on_create=False):
        config = original_configuration(self, on_create)
        applied = self.snap_start == "PublishedVersions" and str(self.version) != "$LATEST"
        config["SnapStart"] = {"ApplyOn": self.snap_start, "OptimizationStatus": "On" if applied else "Off"}
        return config

    awslambda.LambdaFunction.__init__ = __init__
    awslambda.LambdaFunction.update_configuration = update_configuration
    awslambda.LambdaFunction.get_configuration = get_configuration


def _keep_the_alias_of_function_urls() -> None:
    """A Function URL made with `Qualifier=<alias>` invokes that alias and reports the alias's ARN; moto ignores the
    qualifier (one URL per function, the unqualified ARN). Remember it and report the alias's ARN, as AWS does."""
    original_to_dict = awslambda.FunctionUrlConfig.to_dict

    def create_function_url_config(self):
        function_name = unquote(self.path.split("/")[-2])
        config = dict(self.json_body, Qualifier=self.querystring.get("Qualifier", [None])[0])
        url = self.backend.create_function_url_config(function_name, config)
        return 201, {"status": 201}, json.dumps(url.to_dict())

    def to_dict(self):
        answer = original_to_dict(self)
        if self.config.get("Qualifier"):
            answer["FunctionArn"] = f"{self.function.function_arn}:{self.config['Qualifier']}"
        return answer

    awslambda_responses.LambdaResponse.create_function_url_config = create_function_url_config
    awslambda.FunctionUrlConfig.to_dict = to_dict


if __name__ == "__main__":
    _report_default_idle_timeout()
    _name_the_scaling_policy_arn_as_aws_does()
    _tag_nat_gateways_as_aws_does()
    _report_gp3_baseline_of_databases()
    _disable_metrics_collection()
    _keep_template_tags_out_of_its_data()
    _report_empty_capacity_providers()
    _keep_what_new_services_are_created_with()
    _serve_cloudfront_policies()
    _update_key_groups()
    _keep_snapstart_of_functions()
    _keep_the_alias_of_function_urls()
    sys.exit(main())
