"""Clause library completeness (issue 9, item 9): an AI system holds one or more roles, and carries its supplier,
version, in-production date and impact-assessment reference

Revision ID: 929a9723354b
Revises: 3c1f5e7a9b20
Create Date: 2026-12-07 19:42:49.914458

The single `ai_system.role` becomes rows of `ai_system_role` (each system keeps the role it had). The new columns
are nullable, added without copying the table; the old column is dropped with ALTER TABLE ... DROP COLUMN (SQLite
3.35 and later, PostgreSQL), so no table that other rows reference is rebuilt.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "929a9723354b"
down_revision = "3c1f5e7a9b20"
branch_labels = None
depends_on = None

ROLES = ("provider", "developer", "producer", "deployer", "user", "partner", "subject")


def upgrade():
    op.create_table(
        "ai_system_role",
        sa.Column("ai_system_id", sa.Integer(), nullable=False),
        sa.Column(
            "role",
            sa.Enum(*ROLES, name="airole", native_enum=False, length=32),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["ai_system_id"], ["ai_system.id"], name=op.f("fk_ai_system_role_ai_system_id_ai_system")
        ),
        sa.PrimaryKeyConstraint("ai_system_id", "role", name=op.f("pk_ai_system_role")),
    )
    op.execute("INSERT INTO ai_system_role (ai_system_id, role) SELECT id, role FROM ai_system")
    op.add_column("ai_system", sa.Column("supplier", sa.String(length=200), nullable=True))
    op.add_column("ai_system", sa.Column("version", sa.String(length=60), nullable=True))
    op.add_column("ai_system", sa.Column("in_production_on", sa.Date(), nullable=True))
    op.add_column("ai_system", sa.Column("impact_assessment_ref", sa.String(length=200), nullable=True))
    op.drop_column("ai_system", "role")


def downgrade():
    # Each system keeps its main role: the first of its roles in the order of ROLES.
    op.add_column("ai_system", sa.Column("role", sa.String(length=32), nullable=False, server_default="user"))
    op.execute(
        "UPDATE ai_system SET role = (SELECT r.role FROM ai_system_role r WHERE r.ai_system_id = ai_system.id "
        "ORDER BY CASE r.role WHEN 'provider' THEN 0 WHEN 'developer' THEN 1 WHEN 'producer' THEN 2 "
        "WHEN 'deployer' THEN 3 WHEN 'user' THEN 4 WHEN 'partner' THEN 5 ELSE 6 END LIMIT 1) "
        "WHERE EXISTS (SELECT 1 FROM ai_system_role r WHERE r.ai_system_id = ai_system.id)"
    )
    op.drop_column("ai_system", "impact_assessment_ref")
    op.drop_column("ai_system", "in_production_on")
    op.drop_column("ai_system", "version")
    op.drop_column("ai_system", "supplier")
    op.drop_table("ai_system_role")
