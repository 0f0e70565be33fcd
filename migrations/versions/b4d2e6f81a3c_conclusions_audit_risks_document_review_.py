"""conclusions: audit risks, document review, team conference and area conclusions, programme closures

Revision ID: b4d2e6f81a3c
Revises: a9c4e2f7d1b3
Create Date: 2026-12-07 19:41:56.976410

"""

import sqlalchemy as sa
from alembic import op

import audit_app.models.base

# revision identifiers, used by Alembic.
revision = "b4d2e6f81a3c"
down_revision = "a9c4e2f7d1b3"
branch_labels = None
depends_on = None

FULFILMENT = ("fulfilled", "largely_fulfilled", "partly_fulfilled", "not_fulfilled", "not_determined")


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, length=32)


def upgrade():
    op.create_table(
        "programme_closure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("shortfalls", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("closed_by_id", sa.Integer(), nullable=True),
        sa.Column("closed_at", audit_app.models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["closed_by_id"], ["user.id"], name=op.f("fk_programme_closure_closed_by_id_user")),
        sa.ForeignKeyConstraint(
            ["programme_id"], ["audit_programme.id"], name=op.f("fk_programme_closure_programme_id_audit_programme")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programme_closure")),
    )
    op.create_index(op.f("ix_programme_closure_programme_id"), "programme_closure", ["programme_id"], unique=False)
    op.create_table(
        "audit_conference",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("audit_id", sa.Integer(), nullable=False),
        sa.Column("held_at", sa.DateTime(), nullable=False),
        sa.Column("participants", sa.Text(), nullable=False),
        sa.Column("fulfilment", _enum("fulfilment", *FULFILMENT), nullable=False),
        sa.Column("conclusion", sa.Text(), nullable=False),
        sa.Column("objectives_met", sa.Boolean(), nullable=False),
        sa.Column("obstacles", sa.Text(), nullable=False),
        sa.Column("recommendations", sa.Text(), nullable=False),
        sa.Column("follow_up", sa.Text(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", audit_app.models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["audit_id"], ["audit.id"], name=op.f("fk_audit_conference_audit_id_audit")),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["user.id"], name=op.f("fk_audit_conference_recorded_by_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_conference")),
        sa.UniqueConstraint("audit_id", name=op.f("uq_audit_conference_audit_id")),
    )
    op.create_table(
        "audit_risk",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("audit_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            _enum(
                "auditriskkind",
                "time",
                "auditee_availability",
                "evidence_access",
                "competence",
                "remote_technology",
                "confidentiality",
                "other",
            ),
            nullable=False,
        ),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("likelihood", _enum("rating", "low", "medium", "high"), nullable=False),
        sa.Column("impact", _enum("rating", "low", "medium", "high"), nullable=False),
        sa.Column("treatment", sa.Text(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", audit_app.models.base.UTCDateTime(), nullable=False),
        sa.Column("removed_at", audit_app.models.base.UTCDateTime(), nullable=True),
        sa.Column("removed_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["audit_id"], ["audit.id"], name=op.f("fk_audit_risk_audit_id_audit")),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["user.id"], name=op.f("fk_audit_risk_recorded_by_id_user")),
        sa.ForeignKeyConstraint(["removed_by_id"], ["user.id"], name=op.f("fk_audit_risk_removed_by_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_risk")),
    )
    op.create_index(op.f("ix_audit_risk_audit_id"), "audit_risk", ["audit_id"], unique=False)
    op.create_table(
        "document_review",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("audit_id", sa.Integer(), nullable=False),
        sa.Column("document", sa.String(length=200), nullable=False),
        sa.Column("version", sa.String(length=60), nullable=False),
        sa.Column(
            "adequacy",
            _enum("adequacy", "adequate", "partly_adequate", "inadequate", "not_available"),
            nullable=False,
        ),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("reviewed_on", sa.Date(), nullable=False),
        sa.Column("reviewed_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", audit_app.models.base.UTCDateTime(), nullable=False),
        sa.Column("removed_at", audit_app.models.base.UTCDateTime(), nullable=True),
        sa.Column("removed_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["audit_id"], ["audit.id"], name=op.f("fk_document_review_audit_id_audit")),
        sa.ForeignKeyConstraint(["removed_by_id"], ["user.id"], name=op.f("fk_document_review_removed_by_id_user")),
        sa.ForeignKeyConstraint(["reviewed_by_id"], ["user.id"], name=op.f("fk_document_review_reviewed_by_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_review")),
    )
    op.create_index(op.f("ix_document_review_audit_id"), "document_review", ["audit_id"], unique=False)
    op.create_table(
        "area_conclusion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conference_id", sa.Integer(), nullable=False),
        sa.Column("area", sa.String(length=20), nullable=False),
        sa.Column("fulfilment", _enum("fulfilment", *FULFILMENT), nullable=False),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["conference_id"], ["audit_conference.id"], name=op.f("fk_area_conclusion_conference_id_audit_conference")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_area_conclusion")),
        sa.UniqueConstraint("conference_id", "area", name="uq_area_conclusion_area"),
    )
    op.create_index(op.f("ix_area_conclusion_conference_id"), "area_conclusion", ["conference_id"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_area_conclusion_conference_id"), table_name="area_conclusion")
    op.drop_table("area_conclusion")
    op.drop_index(op.f("ix_document_review_audit_id"), table_name="document_review")
    op.drop_table("document_review")
    op.drop_index(op.f("ix_audit_risk_audit_id"), table_name="audit_risk")
    op.drop_table("audit_risk")
    op.drop_table("audit_conference")
    op.drop_index(op.f("ix_programme_closure_programme_id"), table_name="programme_closure")
    op.drop_table("programme_closure")
