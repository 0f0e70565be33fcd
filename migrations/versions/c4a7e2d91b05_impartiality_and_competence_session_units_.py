"""impartiality and competence: session units and exceptions, auditor profiles and evaluations

Revision ID: c4a7e2d91b05
Revises: f7e19c307c84
Create Date: 2026-12-07 20:00:00

"""

import sqlalchemy as sa
from alembic import op

import audit_app.models.base

# revision identifiers, used by Alembic.
revision = "c4a7e2d91b05"
down_revision = "f7e19c307c84"
branch_labels = None
depends_on = None

RATINGS = ("exceeds", "meets", "partly", "not_met")


def upgrade():
    op.create_table(
        "audit_session_unit",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("org_unit_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_unit_id"], ["org_unit.id"], name=op.f("fk_audit_session_unit_org_unit_id_org_unit")
        ),
        sa.ForeignKeyConstraint(
            ["session_id"], ["audit_session.id"], name=op.f("fk_audit_session_unit_session_id_audit_session")
        ),
        sa.PrimaryKeyConstraint("session_id", "org_unit_id", name=op.f("pk_audit_session_unit")),
    )
    op.create_table(
        "auditor_profile",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("qualifications", sa.Text(), nullable=False),
        sa.Column("training", sa.Text(), nullable=False),
        sa.Column("areas", sa.JSON(), nullable=False),
        sa.Column("ai_knowledge", sa.Text(), nullable=False),
        sa.Column("sectors", sa.Text(), nullable=False),
        sa.Column("responsible_refs", sa.JSON(), nullable=False),
        sa.Column("updated_at", audit_app.models.base.UTCDateTime(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["updated_by_id"], ["user.id"], name=op.f("fk_auditor_profile_updated_by_id_user")),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], name=op.f("fk_auditor_profile_user_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auditor_profile")),
        sa.UniqueConstraint("user_id", name=op.f("uq_auditor_profile_user_id")),
    )
    op.create_table(
        "auditor_profile_unit",
        sa.Column("profile_id", sa.Integer(), nullable=False),
        sa.Column("org_unit_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_unit_id"], ["org_unit.id"], name=op.f("fk_auditor_profile_unit_org_unit_id_org_unit")
        ),
        sa.ForeignKeyConstraint(
            ["profile_id"], ["auditor_profile.id"], name=op.f("fk_auditor_profile_unit_profile_id_auditor_profile")
        ),
        sa.PrimaryKeyConstraint("profile_id", "org_unit_id", name=op.f("pk_auditor_profile_unit")),
    )
    op.create_table(
        "auditor_evaluation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("audit_id", sa.Integer(), nullable=True),
        sa.Column("evaluator_id", sa.Integer(), nullable=False),
        sa.Column("evaluated_at", audit_app.models.base.UTCDateTime(), nullable=False),
        sa.Column("rating", sa.Enum(*RATINGS, name="evaluationrating", native_enum=False, length=32), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["audit_id"], ["audit.id"], name=op.f("fk_auditor_evaluation_audit_id_audit")),
        sa.ForeignKeyConstraint(["evaluator_id"], ["user.id"], name=op.f("fk_auditor_evaluation_evaluator_id_user")),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], name=op.f("fk_auditor_evaluation_user_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auditor_evaluation")),
    )
    op.create_index(op.f("ix_auditor_evaluation_audit_id"), "auditor_evaluation", ["audit_id"], unique=False)
    op.create_index(op.f("ix_auditor_evaluation_user_id"), "auditor_evaluation", ["user_id"], unique=False)

    op.add_column("audit_session", sa.Column("impartiality_exception", sa.Text(), server_default="", nullable=False))
    op.add_column("audit_session", sa.Column("exception_covers", sa.JSON(), nullable=True))
    op.add_column(
        "audit_session", sa.Column("exception_recorded_at", audit_app.models.base.UTCDateTime(), nullable=True)
    )
    if op.get_bind().dialect.name == "sqlite":
        # Added in place with its reference: a batch copy of `audit_session` would drop a table that the session's
        # item, auditor and auditee lists reference (SQLite accepts REFERENCES on ADD COLUMN with a NULL default).
        op.execute(
            "ALTER TABLE audit_session ADD COLUMN exception_recorded_by_id INTEGER "
            "CONSTRAINT fk_audit_session_exception_recorded_by_id_user REFERENCES user (id)"
        )
        return
    op.add_column("audit_session", sa.Column("exception_recorded_by_id", sa.Integer(), nullable=True))
    op.create_foreign_key(
        op.f("fk_audit_session_exception_recorded_by_id_user"),
        "audit_session",
        "user",
        ["exception_recorded_by_id"],
        ["id"],
    )


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        # SQLite cannot drop a column that a foreign key uses: the table is rebuilt without it.
        with op.batch_alter_table("audit_session") as batch_op:
            batch_op.drop_column("exception_recorded_by_id")
    else:
        op.drop_constraint(op.f("fk_audit_session_exception_recorded_by_id_user"), "audit_session", type_="foreignkey")
        op.drop_column("audit_session", "exception_recorded_by_id")
    op.drop_column("audit_session", "exception_recorded_at")
    op.drop_column("audit_session", "exception_covers")
    op.drop_column("audit_session", "impartiality_exception")
    op.drop_index(op.f("ix_auditor_evaluation_user_id"), table_name="auditor_evaluation")
    op.drop_index(op.f("ix_auditor_evaluation_audit_id"), table_name="auditor_evaluation")
    op.drop_table("auditor_evaluation")
    op.drop_table("auditor_profile_unit")
    op.drop_table("auditor_profile")
    op.drop_table("audit_session_unit")
