"""Amazon SES adapter (API v2): the whole MIME message as raw content, from a verified identity."""

from __future__ import annotations

from email.message import EmailMessage
from typing import TYPE_CHECKING, Any

from videoforge.ports.mail import MailError

if TYPE_CHECKING:
    from botocore.client import BaseClient


class SesMailer:
    """`send_email` with raw content, so SES sends exactly the message the other adapters send."""

    def __init__(self, client: BaseClient, configuration_set: str = ""):
        self.client = client
        self.configuration_set = configuration_set

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> SesMailer:
        import boto3  # only a process that mails through SES pays for boto3's import here

        client = boto3.client("sesv2", region_name=config.get("SES_REGION") or None,
                              endpoint_url=config.get("SES_ENDPOINT_URL") or None)
        return cls(client, config.get("SES_CONFIGURATION_SET") or "")

    def send(self, message: EmailMessage) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        request: dict[str, Any] = {
            "FromEmailAddress": message["From"],
            "Destination": {"ToAddresses": [message["To"]]},
            "Content": {"Raw": {"Data": bytes(message)}},
        }
        if self.configuration_set:
            request["ConfigurationSetName"] = self.configuration_set
        try:
            self.client.send_email(**request)
        except (BotoCoreError, ClientError) as exc:
            raise MailError(f"SES: {type(exc).__name__}: {exc}") from exc
