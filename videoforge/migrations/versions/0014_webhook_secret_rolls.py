"""Webhooks: rolling an endpoint's signing secret keeps the one before it, sealed, signing beside the new one until
it expires."""

from alembic import op
import sqlalchemy as sa


revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


# Plain add/drop, not batch mode: on SQLite batch mode copies the table and drops the original, which (foreign keys
# on, as the app's engine has them) deletes every delivery logged for it, ON DELETE CASCADE; it has lost triggers
# before, too (0008's). SQLite >= 3.35 and PostgreSQL add and drop these columns in place.
def upgrade() -> None:
    op.add_column("webhook_endpoints", sa.Column("previous_secret", sa.String(length=255), nullable=True))
    op.add_column(
        "webhook_endpoints", sa.Column("previous_secret_expires_at", sa.DateTime(timezone=True), nullable=True)
    )


def downgrade() -> None:
    op.drop_column("webhook_endpoints", "previous_secret_expires_at")
    op.drop_column("webhook_endpoints", "previous_secret")
