"""the programme names its manager

Revision ID: 3c1f5e7a9b20
Revises: 8d70d8430bd3
Create Date: 2026-12-07 19:00:00

"""

from alembic import op
import sqlalchemy as sa

import audit_app.models.base


# revision identifiers, used by Alembic.
revision = "3c1f5e7a9b20"
down_revision = "8d70d8430bd3"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("audit_programme", schema=None) as batch_op:
        batch_op.add_column(sa.Column("manager_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_audit_programme_manager_id"), ["manager_id"], unique=False)
        batch_op.create_foreign_key(batch_op.f("fk_audit_programme_manager_id_user"), "user", ["manager_id"], ["id"])
    # Until someone is named, whoever created a programme manages it.
    op.execute("UPDATE audit_programme SET manager_id = created_by_id WHERE manager_id IS NULL")


def downgrade():
    with op.batch_alter_table("audit_programme", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_audit_programme_manager_id_user"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_audit_programme_manager_id"))
        batch_op.drop_column("manager_id")
