"""Ansible module: a Lambda Function URL (auth NONE: every VideoForge module verifies bearer tokens itself), on the
function or on one of its aliases (the alias a SnapStart function serves its published version through)."""

from __future__ import annotations

DOCUMENTATION = r"""
module: lambda_function_url
short_description: Ensure a Lambda function has a Function URL and the permission that lets it be called
options:
  function_name: {description: Function name., required: true, type: str}
  qualifier: {description: Alias the URL invokes; empty for the unpublished $LATEST., type: str, default: ""}
  auth_type: {description: NONE or AWS_IAM., type: str, default: NONE, choices: [NONE, AWS_IAM]}
  region: {description: AWS region., required: true, type: str}
  endpoint_url: {description: Endpoint override (tests)., type: str}
author: VideoForge
"""

RETURN = r"""
url: {description: The function URL (https://...lambda-url.REGION.on.aws/)., returned: always, type: str}
"""

from ansible.module_utils.basic import AnsibleModule


def main():
    module = AnsibleModule(
        argument_spec=dict(function_name=dict(required=True), qualifier=dict(default=""),
                           auth_type=dict(default="NONE", choices=["NONE", "AWS_IAM"]),
                           region=dict(required=True), endpoint_url=dict()),
        supports_check_mode=True,
    )
    import boto3

    p = module.params
    aws_lambda = boto3.client("lambda", region_name=p["region"], endpoint_url=p["endpoint_url"] or None)
    missing = aws_lambda.exceptions.ResourceNotFoundException
    # The URL and its permission belong to the alias when one is named: each API call takes the same Qualifier.
    target = {"FunctionName": p["function_name"]} | ({"Qualifier": p["qualifier"]} if p["qualifier"] else {})
    changed = False
    try:
        config = aws_lambda.get_function_url_config(**target)
        if config["AuthType"] != p["auth_type"]:
            changed = True
            if not module.check_mode:
                config = aws_lambda.update_function_url_config(**target, AuthType=p["auth_type"])
    except missing:
        changed = True
        if module.check_mode:
            module.exit_json(changed=True, url="")
        config = aws_lambda.create_function_url_config(**target, AuthType=p["auth_type"])
    if p["auth_type"] == "NONE":
        try:
            policy = aws_lambda.get_policy(**target)["Policy"]
        except missing:
            policy = ""
        if "FunctionURLAllowPublicAccess" not in policy:
            changed = True
            if not module.check_mode:
                aws_lambda.add_permission(
                    **target, StatementId="FunctionURLAllowPublicAccess",
                    Action="lambda:InvokeFunctionUrl", Principal="*", FunctionUrlAuthType="NONE")
    module.exit_json(changed=changed, url=config["FunctionUrl"])


if __name__ == "__main__":
    main()
