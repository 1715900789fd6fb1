"""Commands: create a local account (optionally an admin) and rotate the issuer's signing key."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from videoforge.errors import Refusal
from videoforge.identity.keys import rotate_signing_key as rotate
from videoforge.identity.verifier import LEEWAY_SECONDS
from videoforge.modules.auth import service


@click.command("create-user")
@click.argument("email")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="Prompted for (and never echoed) when not given.")
@click.option("--admin", is_flag=True, help="Put the account in the admin group.")
@with_appcontext
def create_user(email: str, password: str, admin: bool) -> None:
    """Create a local account with EMAIL."""
    if current_app.config["AUTH_BACKEND"] != "local":
        click.echo("AUTH_BACKEND is cognito: create users in the Cognito user pool instead.", err=True)
        sys.exit(1)
    db = current_app.extensions["videoforge.db"]
    with db.sessions() as session:
        try:
            # The operator typed the address: it counts as verified (AUTH_EMAIL_VERIFICATION=required lets it upload).
            user = service.create_account(session, current_app.config, email, password, admin=admin, verified=True)
        except Refusal as exc:
            click.echo(f"cannot create {email}: {exc.message}", err=True)
            sys.exit(1)
        click.echo(f"created {user.email} (id {user.id}{', admin' if 'admin' in user.groups else ''})")


@click.command("rotate-signing-key")
@with_appcontext
def rotate_signing_key() -> None:
    """Make a new local signing key; the old public key stays in the JWKS until its tokens expire."""
    config = current_app.config
    if config["AUTH_BACKEND"] != "local" or config.get("AUTH_SIGNING_KEY"):
        click.echo("The signing key comes from AUTH_SIGNING_KEY: put the new private key there and the old public "
                   "key in AUTH_RETIRED_PUBLIC_KEYS, then restart.", err=True)
        sys.exit(1)
    keep = int(config["AUTH_ACCESS_TOKEN_TTL"]) + LEEWAY_SECONDS
    new, old = rotate(current_app.instance_path, keep)
    click.echo(f"new signing key {new.kid}; retired {old.kid} (published for {keep} s). Restart the app to use it.")
