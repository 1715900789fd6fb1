"""Late upload bytes: a follow-up erasure of an upload's objects once every URL that could write them has expired."""

from alembic import op
import sqlalchemy as sa


revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pending_erasures",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("prefix", sa.String(length=400), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_pending_erasures_due_at"), "pending_erasures", ["due_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_pending_erasures_due_at"), table_name="pending_erasures")
    op.drop_table("pending_erasures")
