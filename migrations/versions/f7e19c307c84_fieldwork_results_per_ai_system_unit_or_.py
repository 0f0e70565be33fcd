"""fieldwork: results per AI system, unit or site; evidence names its subject

Revision ID: f7e19c307c84
Revises: 929a9723354b
Create Date: 2026-12-07 19:39:25.884188

"""

import sqlalchemy as sa
from alembic import op

import audit_app.models.base

# revision identifiers, used by Alembic.
revision = "f7e19c307c84"
down_revision = "929a9723354b"
branch_labels = None
depends_on = None

RESULTS = ("not_assessed", "conforming", "nonconformity", "observation", "ofi", "not_applicable", "not_audited")


def upgrade():
    op.create_table(
        "response_part",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("response_id", sa.Integer(), nullable=False),
        sa.Column(
            "subject_kind",
            sa.Enum("ai_system", "org_unit", name="subjectkind", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("result", sa.Enum(*RESULTS, name="responseresult", native_enum=False, length=32), nullable=False),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", audit_app.models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["response_id"], ["checklist_response.id"], name=op.f("fk_response_part_response_id_checklist_response")
        ),
        sa.ForeignKeyConstraint(["updated_by_id"], ["user.id"], name=op.f("fk_response_part_updated_by_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_response_part")),
        sa.UniqueConstraint("response_id", "subject_kind", "subject_id", name="uq_response_part_subject"),
    )
    op.create_index(op.f("ix_response_part_response_id"), "response_part", ["response_id"], unique=False)

    if op.get_bind().dialect.name == "sqlite":
        # Added in place with their references: a batch copy of `evidence` would drop a table that evidence files
        # reference (SQLite accepts a REFERENCES clause on ADD COLUMN when the default is NULL).
        op.execute(
            "ALTER TABLE evidence ADD COLUMN ai_system_id INTEGER "
            "CONSTRAINT fk_evidence_ai_system_id_ai_system REFERENCES ai_system (id)"
        )
        op.execute(
            "ALTER TABLE evidence ADD COLUMN org_unit_id INTEGER "
            "CONSTRAINT fk_evidence_org_unit_id_org_unit REFERENCES org_unit (id)"
        )
        return
    op.add_column("evidence", sa.Column("ai_system_id", sa.Integer(), nullable=True))
    op.add_column("evidence", sa.Column("org_unit_id", sa.Integer(), nullable=True))
    op.create_foreign_key(op.f("fk_evidence_ai_system_id_ai_system"), "evidence", "ai_system", ["ai_system_id"], ["id"])
    op.create_foreign_key(op.f("fk_evidence_org_unit_id_org_unit"), "evidence", "org_unit", ["org_unit_id"], ["id"])


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table("evidence", schema=None) as batch_op:
            batch_op.drop_column("org_unit_id")
            batch_op.drop_column("ai_system_id")
    else:
        op.drop_constraint(op.f("fk_evidence_org_unit_id_org_unit"), "evidence", type_="foreignkey")
        op.drop_constraint(op.f("fk_evidence_ai_system_id_ai_system"), "evidence", type_="foreignkey")
        op.drop_column("evidence", "org_unit_id")
        op.drop_column("evidence", "ai_system_id")
    op.drop_index(op.f("ix_response_part_response_id"), table_name="response_part")
    op.drop_table("response_part")
