"""The rest of provision.yml as applied to the loopback moto_server: network, database, IAM, images, Lambdas, load
balancer, autoscaling and ECS, each checked for what the roles promise (docs/deploy.md, step 6)."""

from __future__ import annotations

import base64
import io
import json
import tarfile

import pytest

from tests.deploy.conftest import changed_tasks, recap

# The first test to run here may apply provision.yml twice (the session fixture): minutes on a busy machine.
pytestmark = pytest.mark.timeout(1200)


def test_the_whole_playbook_ran_and_the_second_run_changed_nothing(provisioned):
    first = provisioned.first_run.stdout
    for role in ("aws_network", "aws_database", "aws_iam", "aws_lambda", "aws_loadbalancer", "aws_compute",
                 "aws_client"):
        assert f"TASK [{role} :" in first, f"{role} did not run"
    second = recap(provisioned.second_run.stdout)
    assert second["changed"] == 0, changed_tasks(provisioned.second_run.stdout)


def test_network_has_public_and_private_subnets_and_a_nat_route_for_the_private_ones(provisioned):
    ec2 = provisioned.client("ec2")
    [vpc] = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [provisioned.name]}])["Vpcs"]
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])["Subnets"]
    tiers = {s["SubnetId"]: {t["Key"]: t["Value"] for t in s.get("Tags", [])}.get("tier") for s in subnets}
    public = [s for s, tier in tiers.items() if tier == "public"]
    private = [s for s, tier in tiers.items() if tier == "private"]
    assert len(public) == 2 and len(private) == 2
    assert len({s["AvailabilityZone"] for s in subnets if s["SubnetId"] in private}) == 2  # RDS needs two zones
    [nat] = [n for n in ec2.describe_nat_gateways()["NatGateways"] if n["VpcId"] == vpc["VpcId"]]
    assert nat["SubnetId"] in public
    tables = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])["RouteTables"]
    for table in tables:
        associated = {a.get("SubnetId") for a in table.get("Associations", [])}
        if associated & set(private):
            assert associated >= set(private)
            assert any(r.get("NatGatewayId") == nat["NatGatewayId"] for r in table["Routes"])


def test_the_database_admits_postgresql_from_the_app_tiers_only(provisioned):
    ec2 = provisioned.client("ec2")
    groups = {g["GroupName"]: g for g in ec2.describe_security_groups()["SecurityGroups"]}
    db = groups[f"{provisioned.name}-db"]
    sources = {pair["GroupId"] for rule in db["IpPermissions"] for pair in rule.get("UserIdGroupPairs", [])}
    assert sources == {groups[f"{provisioned.name}-{tier}"]["GroupId"] for tier in ("gateway", "worker", "lambda")}
    assert all(rule["FromPort"] == 5432 and not rule.get("IpRanges") for rule in db["IpPermissions"])


def test_rds_instance_is_private_encrypted_protected_and_its_url_is_a_secret(provisioned):
    rds = provisioned.client("rds")
    [instance] = rds.describe_db_instances(DBInstanceIdentifier=provisioned.name)["DBInstances"]
    assert instance["Engine"] == "postgres" and not instance["PubliclyAccessible"]
    assert instance["StorageEncrypted"] and instance["DeletionProtection"]
    assert instance["BackupRetentionPeriod"] == 7
    secret = json.loads(provisioned.client("secretsmanager").get_secret_value(
        SecretId=f"{provisioned.name}/db")["SecretString"])
    assert secret["host"] == instance["Endpoint"]["Address"]
    assert secret["url"].startswith("postgresql+psycopg://") and secret["url"].endswith("?sslmode=require")


def test_each_tier_has_its_role_and_the_instances_their_profiles(provisioned):
    iam = provisioned.client("iam")
    for tier in ("gateway", "worker", "lambda", "ecs-execution"):
        iam.get_role(RoleName=f"{provisioned.name}-{tier}")
    for tier in ("gateway", "worker"):
        profile = iam.get_instance_profile(InstanceProfileName=f"{provisioned.name}-{tier}")["InstanceProfile"]
        assert [r["RoleName"] for r in profile["Roles"]] == [f"{provisioned.name}-{tier}"]
        assert iam.list_role_policies(RoleName=f"{provisioned.name}-{tier}")["PolicyNames"] == ["videoforge"]


def test_the_lambdas_run_their_image_in_the_private_subnets_with_the_queue_urls(provisioned):
    aws_lambda = provisioned.client("lambda")
    for module in ("gallery", "streaming"):
        function = aws_lambda.get_function(FunctionName=f"{provisioned.name}-{module}")
        config = function["Configuration"]
        assert function["Code"]["ImageUri"].endswith(f"/{provisioned.name}/{module}:0.1.0")
        assert config["PackageType"] == "Image" and config["MemorySize"] == 1024
        variables = config["Environment"]["Variables"]
        assert variables["VIDEOFORGE_MODULES"] == module
        # The first run must already give the Lambdas real queue URLs (sqs_queue returns none when it creates).
        assert variables["VIDEOFORGE_SQS_QUEUE_URL"] == provisioned.queue_url
        assert variables["VIDEOFORGE_SQS_DLQ_URL"] == provisioned.dlq_url
        assert not any(key.startswith("AWS_") for key in variables)
        # SnapStart snapshots published versions; the live alias serves the newest one, and its URL is the one.
        assert config["SnapStart"]["ApplyOn"] == "PublishedVersions"
        alias = aws_lambda.get_alias(FunctionName=f"{provisioned.name}-{module}", Name="live")
        live = aws_lambda.get_function(FunctionName=f"{provisioned.name}-{module}", Qualifier="live")["Configuration"]
        assert live["Version"] == alias["FunctionVersion"] != "$LATEST"
        assert live["SnapStart"]["OptimizationStatus"] == "On"
        url = aws_lambda.get_function_url_config(FunctionName=f"{provisioned.name}-{module}", Qualifier="live")
        assert url["AuthType"] == "NONE" and url["FunctionArn"].endswith(":live")
    repositories = provisioned.client("ecr").describe_repositories()["repositories"]
    assert {r["repositoryName"] for r in repositories} >= {f"{provisioned.name}/{m}" for m in
                                                           ("gallery", "streaming", "client")}
    assert all(r["imageTagMutability"] == "IMMUTABLE" for r in repositories)


def test_the_load_balancer_sends_the_api_and_shared_pages_to_the_gateway_and_the_rest_to_the_client(provisioned):
    elb = provisioned.client("elbv2")
    [alb] = elb.describe_load_balancers(Names=[provisioned.name])["LoadBalancers"]
    groups = {g["TargetGroupName"]: g for g in elb.describe_target_groups()["TargetGroups"]}
    gateway, client = groups[f"{provisioned.name}-gateway"], groups[f"{provisioned.name}-client"]
    assert (gateway["HealthCheckPath"], client["HealthCheckPath"]) == ("/readyz", "/healthz")
    [listener] = elb.describe_listeners(LoadBalancerArn=alb["LoadBalancerArn"])["Listeners"]  # HTTP only: no cert
    assert listener["Port"] == 80
    assert listener["DefaultActions"][0]["TargetGroupArn"] == client["TargetGroupArn"]
    rules = sorted((r for r in elb.describe_rules(ListenerArn=listener["ListenerArn"])["Rules"] if not r["IsDefault"]),
                   key=lambda r: int(r["Priority"]))
    assert [(r["Priority"], r["Conditions"][0]["PathPatternConfig"]["Values"]) for r in rules] == [
        ("10", ["/api/*", "/healthz", "/readyz"]),
        # The watch and embed pages: the gateway's web module renders their previews and per-video framing.
        ("20", ["/embed/*", "/watch/*"]),
    ]
    assert all(r["Actions"][0]["TargetGroupArn"] == gateway["TargetGroupArn"] for r in rules)
    # The gateway group's instances stay registered across runs (the target group task leaves targets alone).
    group = provisioned.client("autoscaling").describe_auto_scaling_groups(
        AutoScalingGroupNames=[f"{provisioned.name}-gateway"])["AutoScalingGroups"][0]
    registered = elb.describe_target_health(TargetGroupArn=gateway["TargetGroupArn"])["TargetHealthDescriptions"]
    assert {t["Target"]["Id"] for t in registered} == {i["InstanceId"] for i in group["Instances"]} != set()


def test_the_worker_group_scales_on_backlog_from_zero_and_drains_on_scale_in(provisioned):
    autoscaling = provisioned.client("autoscaling")
    name = f"{provisioned.name}-worker"
    [group] = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"]
    assert (group["MinSize"], group["MaxSize"]) == (0, 3)
    assert group["LaunchTemplate"]["LaunchTemplateName"] == name
    policies = {p["PolicyName"]: p for p in autoscaling.describe_policies(AutoScalingGroupName=name)["ScalingPolicies"]}
    assert policies["backlog-per-instance"]["PolicyType"] == "TargetTrackingScaling"
    assert policies["wake-from-zero"]["PolicyType"] == "StepScaling"
    [hook] = autoscaling.describe_lifecycle_hooks(AutoScalingGroupName=name)["LifecycleHooks"]
    assert hook["LifecycleTransition"] == "autoscaling:EC2_INSTANCE_TERMINATING"
    assert hook["HeartbeatTimeout"] == 900 + 120
    [alarm] = provisioned.client("cloudwatch").describe_alarms(AlarmNames=[f"{name}-wake"])["MetricAlarms"]
    assert alarm["AlarmActions"] == [policies["wake-from-zero"]["PolicyARN"]]
    assert [m["Id"] for m in alarm["Metrics"]] == ["backlog", "instances", "wake"]


def test_launch_templates_require_imdsv2_and_encrypt_disks(provisioned):
    ec2 = provisioned.client("ec2")
    for tier in ("gateway", "worker"):
        [version] = ec2.describe_launch_template_versions(
            LaunchTemplateName=f"{provisioned.name}-{tier}", Versions=["$Latest"])["LaunchTemplateVersions"]
        data = version["LaunchTemplateData"]
        assert data["MetadataOptions"]["HttpTokens"] == "required"
        assert data["BlockDeviceMappings"][0]["Ebs"]["Encrypted"]
        assert data["ImageId"].startswith("ami-")


def test_the_release_and_the_instance_playbooks_are_in_the_bucket(provisioned):
    s3 = provisioned.client("s3")
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=provisioned.bucket, Prefix="releases/")["Contents"]}
    assert keys == {"releases/videoforge-0.1.0-py3-none-any.whl", "releases/videoforge-ansible-0.1.0.tar.gz",
                    "releases/videoforge-client-0.1.0.tar.gz"}
    pages = s3.get_object(Bucket=provisioned.bucket, Key="releases/videoforge-client-0.1.0.tar.gz")["Body"].read()
    with tarfile.open(fileobj=io.BytesIO(pages)) as tar:
        assert {"index.html", "embed.html"} <= set(tar.getnames())
    # The gateway instances fetch that archive at boot (the gateway role unpacks it where VIDEOFORGE_WEB_DIST points).
    [version] = provisioned.client("ec2").describe_launch_template_versions(
        LaunchTemplateName=f"{provisioned.name}-gateway", Versions=["$Latest"])["LaunchTemplateVersions"]
    user_data = base64.b64decode(version["LaunchTemplateData"]["UserData"]).decode()
    boot_vars = json.loads(user_data.split("<<'JSON'\n", 1)[1].split("\nJSON\n", 1)[0])
    assert boot_vars["videoforge_client_pages_url"] == \
        f"s3://{provisioned.bucket}/releases/videoforge-client-0.1.0.tar.gz"
    bundle = s3.get_object(Bucket=provisioned.bucket, Key="releases/videoforge-ansible-0.1.0.tar.gz")["Body"].read()
    with tarfile.open(fileobj=io.BytesIO(bundle)) as tar:
        names = set(tar.getnames())
    assert "ansible/playbooks/instance.yml" in names and "ansible/ansible.cfg" in names
    assert not any(name.startswith("ansible/inventory/") for name in names)


def test_the_client_runs_on_fargate_behind_the_client_target_group(provisioned):
    ecs = provisioned.client("ecs")
    [service] = ecs.describe_services(cluster=provisioned.name, services=[f"{provisioned.name}-client"])["services"]
    assert service["launchType"] == "FARGATE" and service["desiredCount"] == 1
    assert service["deploymentConfiguration"]["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
    [balancer] = service["loadBalancers"]
    assert (balancer["containerName"], balancer["containerPort"]) == ("client", 8080)
    task = ecs.describe_task_definition(taskDefinition=service["taskDefinition"])["taskDefinition"]
    [container] = task["containerDefinitions"]
    assert container["healthCheck"]["command"][1].startswith("wget -q -O /dev/null http://127.0.0.1:8080/healthz")
