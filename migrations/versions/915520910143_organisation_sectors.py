"""organisation sectors: the sector(s) the organisation works in, for the team's sector knowledge

Revision ID: 915520910143
Revises: b4d2e6f81a3c
Create Date: 2026-12-07 20:50:59.881929

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "915520910143"
down_revision = "b4d2e6f81a3c"
branch_labels = None
depends_on = None


def upgrade():
    # A nullable column: a plain ALTER TABLE on every database (no table copy on SQLite).
    op.add_column("organisation", sa.Column("sectors", sa.Text(), nullable=True))


def downgrade():
    # No table references organisation, so SQLite's batch copy is safe here.
    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.drop_column("sectors")
