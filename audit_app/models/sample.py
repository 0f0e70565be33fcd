"""Audit samples (ISO 19011 A.6): population, method, size, seeded selection, results and evaluation."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from audit_app.models.audit import Audit
from audit_app.models.base import Model, UTCDateTime, enum_column, utcnow
from audit_app.models.checklist import ChecklistItem
from audit_app.models.fieldwork import Evidence
from audit_app.models.user import User


class PopulationSource(enum.StrEnum):
    TYPED = "typed"
    CSV = "csv"
    AI_SYSTEMS = "ai_systems"
    ORG_UNITS = "org_units"

    @property
    def label(self) -> str:
        return {
            "typed": "Typed in",
            "csv": "CSV upload",
            "ai_systems": "AI-system inventory",
            "org_units": "Org units",
        }[self.value]


class SampleMethod(enum.StrEnum):
    SIMPLE_RANDOM = "simple_random"
    SYSTEMATIC = "systematic"
    STRATIFIED = "stratified"
    JUDGEMENTAL = "judgemental"
    WHOLE_POPULATION = "whole_population"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()

    @property
    def statistical(self) -> bool:
        return self in (SampleMethod.SIMPLE_RANDOM, SampleMethod.SYSTEMATIC, SampleMethod.STRATIFIED)


class SizeBasis(enum.StrEnum):
    ATTRIBUTE = "attribute"
    FREQUENCY = "frequency"
    SITE_RULE = "site_rule"
    MANUAL = "manual"

    @property
    def label(self) -> str:
        return {
            "attribute": "Attribute-sampling calculator",
            "frequency": "Control-frequency table (judgemental)",
            "site_rule": "IAF MD 1 site rule",
            "manual": "Auditor's judgement",
        }[self.value]


class DeviationNature(enum.StrEnum):
    """What the deviations of an evaluated sample mean, as the auditor judged it."""

    ISOLATED = "isolated"
    SYSTEMIC = "systemic"

    @property
    def label(self) -> str:
        return {"isolated": "Isolated (a one-off lapse)", "systemic": "Systemic (the control itself fails)"}[self.value]


class SampleStatus(enum.StrEnum):
    DRAFT = "draft"
    SELECTED = "selected"
    EVALUATED = "evaluated"

    @property
    def label(self) -> str:
        return self.value.capitalize()


sample_checklist_item = sa.Table(
    "sample_checklist_item",
    Model.metadata,
    sa.Column("sample_id", sa.ForeignKey("sample.id"), primary_key=True),
    sa.Column("checklist_item_id", sa.ForeignKey("checklist_item.id"), primary_key=True),
)


class Sample(Model):
    __table_args__ = (sa.UniqueConstraint("audit_id", "sequence", name="uq_sample_audit_sequence"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Bumped by every change the ORM writes: two requests that changed the same sample (two population uploads,
    #: a size set while the draw runs) cannot both commit; the second gets "changed meanwhile".
    version: Mapped[int] = mapped_column(server_default="1")
    audit_id: Mapped[int] = mapped_column(sa.ForeignKey("audit.id"), index=True)
    sequence: Mapped[int] = mapped_column()
    title: Mapped[str] = mapped_column(sa.String(200))
    #: The attribute tested and what counts as a deviation, set before testing.
    attribute: Mapped[str] = mapped_column(sa.Text, default="")
    #: The attributes each item is tested against, in order: [{"code": "A1", "text": "…"}, …] (empty on samples
    #: opened before attributes were listed: their one attribute is `attribute`, code A1).
    attributes: Mapped[list[dict[str, str]]] = mapped_column(sa.JSON, default=list, server_default="[]")
    sampling_unit: Mapped[str] = mapped_column(sa.String(120), default="")
    # Population
    population_source: Mapped[PopulationSource | None] = mapped_column(enum_column(PopulationSource))
    #: Source system or report, extraction date, period covered and filters.
    population_description: Mapped[str] = mapped_column(sa.Text, default="")
    #: How the list was reconciled to its source (completeness and accuracy).
    completeness_check: Mapped[str] = mapped_column(sa.Text, default="")
    #: The units are the sites of a multi-site organisation (the central function excluded): the only populations
    #: the IAF MD 1 site rule is offered for.
    population_is_sites: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    population_size: Mapped[int | None] = mapped_column()
    #: SHA-256 of the sorted unit ids: the same population always gives the same hash.
    population_hash: Mapped[str] = mapped_column(sa.String(64), default="")
    #: Snapshot of the population (random name under instance/uploads/populations).
    population_file: Mapped[str] = mapped_column(sa.String(80), default="")
    population_columns: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    # Method and size
    method: Mapped[SampleMethod | None] = mapped_column(enum_column(SampleMethod))
    size_basis: Mapped[SizeBasis | None] = mapped_column(enum_column(SizeBasis))
    confidence: Mapped[Decimal | None] = mapped_column(sa.Numeric(6, 5))
    tolerable_rate: Mapped[Decimal | None] = mapped_column(sa.Numeric(6, 5))
    expected_rate: Mapped[Decimal | None] = mapped_column(sa.Numeric(6, 5))
    use_fpc: Mapped[bool] = mapped_column(default=False)
    size_parameters: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    sample_size: Mapped[int | None] = mapped_column()
    size_rationale: Mapped[str] = mapped_column(sa.Text, default="")
    # Selection (persisted before drawing)
    seed: Mapped[int | None] = mapped_column(sa.BigInteger)
    algorithm: Mapped[str] = mapped_column(sa.String(200), default="")
    library_versions: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    selection_params: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    # Evaluation
    status: Mapped[SampleStatus] = mapped_column(enum_column(SampleStatus), default=SampleStatus.DRAFT)
    deviations: Mapped[int | None] = mapped_column()
    upper_limit: Mapped[float | None] = mapped_column(sa.Float)
    conclusion: Mapped[str] = mapped_column(sa.Text, default="")
    proposed_finding: Mapped[str] = mapped_column(sa.Text, default="")
    evaluated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The evaluation as designed: per attribute (and per stratum), the counts, limits and conclusions.
    evaluation: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict, server_default="{}")
    #: What the deviations mean, recorded by the auditor before a finding is proposed.
    deviation_cause: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    deviation_nature: Mapped[DeviationNature | None] = mapped_column(enum_column(DeviationNature))
    interpreted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    interpreted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The reviewer's (the audit's lead auditor) sign-off of the evaluated sample.
    signed_off_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    signed_off_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Re-performance: checked once at the draw and again on demand, never on every view (a 100,000-unit snapshot
    # takes a second to re-read and re-draw).
    #: Whether drawing again from the snapshot with the recorded seed or picks gave the same selection (None: not
    #: checked yet).
    reperformed: Mapped[bool | None] = mapped_column()
    #: The population hash that check computed from (so a verdict is never shown for another population).
    reperformed_sha256: Mapped[str] = mapped_column(sa.String(64), default="", server_default="")
    reperformed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reperformed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    #: Why the check failed, when the snapshot could not be read or re-drawn.
    reperform_problem: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    audit: Mapped[Audit] = relationship()
    checklist_items: Mapped[list[ChecklistItem]] = relationship(
        secondary=sample_checklist_item, order_by=(ChecklistItem.version_id, ChecklistItem.position)
    )
    items: Mapped[list[SampleItem]] = relationship(
        back_populates="sample", order_by="SampleItem.draw_order", cascade="all, delete-orphan"
    )
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    reperformed_by: Mapped[User | None] = relationship(foreign_keys=[reperformed_by_id])
    interpreted_by: Mapped[User | None] = relationship(foreign_keys=[interpreted_by_id])
    signed_off_by: Mapped[User | None] = relationship(foreign_keys=[signed_off_by_id])

    __mapper_args__ = {"version_id_col": version}

    @property
    def reference(self) -> str:
        return f"{self.audit.reference}-S{self.sequence:02d}"

    @property
    def attribute_list(self) -> list[dict[str, str]]:
        """The attributes tested, A1 first (a sample without a list tests its one `attribute` as A1)."""
        return list(self.attributes) or [{"code": "A1", "text": self.attribute}]


class SampleItemResult(enum.StrEnum):
    """An item's result (and, but void, an attribute's). An item that cannot be examined counts as a deviation; only
    a void item, or one outside the population, is replaced from the seeded stream."""

    PENDING = "pending"
    CONFORMING = "conforming"
    DEVIATION = "deviation"
    NOT_TESTABLE = "not_testable"
    VOID = "void"

    @property
    def label(self) -> str:
        return {
            "pending": "Pending",
            "conforming": "Conforming",
            "deviation": "Deviation",
            "not_testable": "Cannot be examined (a deviation)",
            "void": "Void or outside the population (replaced)",
        }[self.value]

    @property
    def short(self) -> str:
        return {
            "pending": "Pending",
            "conforming": "Conforming",
            "deviation": "Deviation",
            "not_testable": "Cannot be examined",
            "void": "Void",
        }[self.value]

    @property
    def counts_as_deviation(self) -> bool:
        return self in (SampleItemResult.DEVIATION, SampleItemResult.NOT_TESTABLE)


class SampleItem(Model):
    # A unit is drawn at most once into a sample, and draw orders never repeat: two replacements racing for the same
    # next unit cannot both be stored. (Unique indexes: SQLite adds them without copying the table.)
    __table_args__ = (
        sa.Index("uq_sample_item_sample_draw_order", "sample_id", "draw_order", unique=True),
        sa.Index("uq_sample_item_sample_population_index", "sample_id", "population_index", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sample_id: Mapped[int] = mapped_column(sa.ForeignKey("sample.id"), index=True)
    #: Bumped by every change: of two results saved for one item at once, only the first is kept (the other gets
    #: "changed meanwhile"), so a not-testable item gets exactly one replacement.
    version: Mapped[int] = mapped_column(server_default="1")
    #: Order in which the item was drawn (replacements continue the sequence).
    draw_order: Mapped[int] = mapped_column()
    #: Position in the frozen, sorted population.
    population_index: Mapped[int] = mapped_column()
    key: Mapped[str] = mapped_column(sa.String(200))
    label: Mapped[str] = mapped_column(sa.String(500), default="")
    stratum: Mapped[str] = mapped_column(sa.String(200), default="")
    #: Why a judgemental pick was chosen.
    rationale: Mapped[str] = mapped_column(sa.Text, default="")
    #: The item's overall result, derived from its attributes: void, else pending while any is, else cannot be
    #: examined, else deviation if any deviates, else conforming.
    result: Mapped[SampleItemResult] = mapped_column(enum_column(SampleItemResult), default=SampleItemResult.PENDING)
    #: Attribute code -> result value ("A1" -> "conforming"); empty until a result is recorded.
    attribute_results: Mapped[dict[str, str]] = mapped_column(sa.JSON, default=dict, server_default="{}")
    note: Mapped[str] = mapped_column(sa.Text, default="")
    evidence_id: Mapped[int | None] = mapped_column(sa.ForeignKey("evidence.id"))
    #: The item this one replaces (drawn because that one was not testable).
    replaces_id: Mapped[int | None] = mapped_column(sa.ForeignKey("sample_item.id"))
    tested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    tested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    sample: Mapped[Sample] = relationship(back_populates="items")
    evidence: Mapped[Evidence | None] = relationship()
    replaces: Mapped[SampleItem | None] = relationship(remote_side=[id])
    tested_by: Mapped[User | None] = relationship()

    __mapper_args__ = {"version_id_col": version}
