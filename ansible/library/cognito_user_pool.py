"""Ansible module: a Cognito user pool with one public app client and a hosted-UI domain, created once, then left as is."""

from __future__ import annotations

DOCUMENTATION = r"""
module: cognito_user_pool
short_description: Ensure a Cognito user pool, its app client and its domain exist (idempotent, by name)
description:
  - Finds the pool by name (creating it when missing), then the app client by name, then the domain prefix.
  - Existing resources are not modified, so a second run reports no change.
options:
  name: {description: User pool name., required: true, type: str}
  client_name: {description: App client name., required: true, type: str}
  domain_prefix: {description: Hosted UI domain prefix (globally unique per region); empty for none., type: str, default: ""}
  callback_urls: {description: OAuth callback URLs of the web client., type: list, elements: str, default: []}
  region: {description: AWS region., required: true, type: str}
  endpoint_url: {description: Endpoint override (tests)., type: str}
author: VideoForge
"""

RETURN = r"""
pool_id: {description: User pool id., returned: always, type: str}
client_id: {description: App client id., returned: always, type: str}
domain: {description: Hosted UI base URL or empty., returned: always, type: str}
"""

from ansible.module_utils.basic import AnsibleModule


def find_pool(client, name):
    for page in client.get_paginator("list_user_pools").paginate(MaxResults=60):
        for pool in page["UserPools"]:
            if pool["Name"] == name:
                return pool["Id"]
    return None


def find_client(client, pool_id, name):
    for page in client.get_paginator("list_user_pool_clients").paginate(UserPoolId=pool_id, MaxResults=60):
        for app in page["UserPoolClients"]:
            if app["ClientName"] == name:
                return app["ClientId"]
    return None


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(required=True), client_name=dict(required=True), domain_prefix=dict(default=""),
            callback_urls=dict(type="list", elements="str", default=[]), region=dict(required=True),
            endpoint_url=dict(),
        ),
        supports_check_mode=True,
    )
    try:
        import boto3
    except ImportError:
        module.fail_json(msg="cognito_user_pool needs boto3 in the interpreter that runs it")
    p = module.params
    idp = boto3.client("cognito-idp", region_name=p["region"], endpoint_url=p["endpoint_url"] or None)
    changed = False

    pool_id = find_pool(idp, p["name"])
    if pool_id is None:
        changed = True
        if module.check_mode:
            module.exit_json(changed=True, pool_id="", client_id="", domain="")
        pool_id = idp.create_user_pool(
            PoolName=p["name"],
            UsernameAttributes=["email"], AutoVerifiedAttributes=["email"],
            Policies={"PasswordPolicy": {"MinimumLength": 12, "RequireLowercase": True, "RequireUppercase": False,
                                         "RequireNumbers": False, "RequireSymbols": False}},
            AccountRecoverySetting={"RecoveryMechanisms": [{"Priority": 1, "Name": "verified_email"}]},
            DeletionProtection="ACTIVE",
        )["UserPool"]["Id"]
        # Optional TOTP MFA (authenticator apps); SMS MFA would need an SNS role and costs per message.
        idp.set_user_pool_mfa_config(UserPoolId=pool_id, MfaConfiguration="OPTIONAL",
                                     SoftwareTokenMfaConfiguration={"Enabled": True})
        idp.create_group(UserPoolId=pool_id, GroupName="admin", Description="VideoForge operators")

    client_id = find_client(idp, pool_id, p["client_name"])
    if client_id is None:
        changed = True
        if not module.check_mode:
            oauth = {}
            if p["callback_urls"]:
                oauth = dict(AllowedOAuthFlowsUserPoolClient=True, AllowedOAuthFlows=["code"],
                             AllowedOAuthScopes=["openid", "email", "profile"], CallbackURLs=p["callback_urls"],
                             LogoutURLs=p["callback_urls"], SupportedIdentityProviders=["COGNITO"])
            # A browser client: no secret; SRP and refresh flows, plus USER_PASSWORD_AUTH for the CLI.
            client_id = idp.create_user_pool_client(
                UserPoolId=pool_id, ClientName=p["client_name"], GenerateSecret=False,
                ExplicitAuthFlows=["ALLOW_USER_SRP_AUTH", "ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
                PreventUserExistenceErrors="ENABLED", **oauth,
            )["UserPoolClient"]["ClientId"]

    domain = ""
    if p["domain_prefix"]:
        described = idp.describe_user_pool_domain(Domain=p["domain_prefix"]).get("DomainDescription") or {}
        if described.get("UserPoolId") not in (None, pool_id):
            module.fail_json(msg=f"Cognito domain prefix {p['domain_prefix']!r} belongs to another pool; choose another")
        if not described.get("UserPoolId"):
            changed = True
            if not module.check_mode:
                idp.create_user_pool_domain(Domain=p["domain_prefix"], UserPoolId=pool_id)
        domain = f"https://{p['domain_prefix']}.auth.{p['region']}.amazoncognito.com"

    module.exit_json(changed=changed, pool_id=pool_id, client_id=client_id or "", domain=domain)


if __name__ == "__main__":
    main()
