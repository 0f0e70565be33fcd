"""Marshmallow schemas for reports: the issue request, issued reports with their issue control and evidence manifest,
hash verification, and the audit's report settings. Shapes only; services/reports holds the rules."""

from __future__ import annotations

from flask import url_for
from marshmallow import Schema, fields, validate

from audit_app.api.sample_schemas import Text
from audit_app.api.schema_parts import Id, NamedRefSchema, WallClockDateTime, enum_field
from audit_app.models import IssuedReport, ReportKind

#: A SHA-256 as the API writes it: 64 lower-case hexadecimal digits.
SHA256 = {"description": "SHA-256, 64 lower-case hexadecimal digits.", "example": "0" * 64}


# --- input ------------------------------------------------------------------------------------------------------


class ReportIssueSchema(Schema):
    """The issue control of the next version of a report (the lead auditor prepares it)."""

    kind = enum_field(
        ReportKind,
        required=True,
        metadata={"description": "`audit`: the full ISO 19011 report; `certification`: the certification-style one."},
    )
    reviewed_by_id = Id(required=True, metadata={"description": "Who reviewed the report (an active account)."})
    reviewed_on = fields.Date(required=True, metadata={"description": "When it was reviewed (not in the future)."})
    approved_by_id = Id(required=True, metadata={"description": "Who approved the report (an active account)."})
    approved_on = fields.Date(required=True, metadata={"description": "When it was approved (not in the future)."})
    distribution = Text(
        required=True,
        validate=validate.Length(max=4000),
        metadata={"description": "Who receives the report, one recipient per line (at least one)."},
    )
    change_note = Text(
        load_default="",
        validate=validate.Length(max=2000),
        metadata={"description": "What changed since the previous version (required from version 2)."},
    )


class ReportSettingsSchema(Schema):
    """What the lead auditor writes for the audit's reports beyond the audit record (PUT replaces all of it)."""

    marking = Text(
        required=True,
        validate=validate.Length(max=80),
        metadata={"description": "Confidentiality marking on the cover and in every header and footer."},
    )
    sampling_statement = Text(
        required=True,
        validate=validate.Length(max=4000),
        metadata={"description": "ISO 19011 6.5.1 k: the statement that the audit evidence was a sample."},
    )
    distribution = Text(
        load_default="",
        validate=validate.Length(max=4000),
        metadata={"description": "Default distribution list of drafts, one recipient per line."},
    )
    next_audit = Text(
        load_default="",
        validate=validate.Length(max=200),
        metadata={"description": "The next audit, for the certification-style report."},
    )
    updated_by_id = fields.Int(dump_only=True, allow_none=True, metadata={"description": "Null until first saved."})
    updated_at = WallClockDateTime(dump_only=True, allow_none=True, metadata={"description": "Null until first saved."})


# --- output -----------------------------------------------------------------------------------------------------


def _download_url(report: IssuedReport) -> str:
    return url_for("api_reports.download_report", report_id=report.id)


class ManifestEntrySchema(Schema):
    evidence_file_id = fields.Int(dump_only=True)
    name = fields.Str(dump_only=True, metadata={"description": "Evidence entry, file name and version."})
    sha256 = fields.Str(dump_only=True, metadata=SHA256)


class ReportDownloadSchema(Schema):
    user = fields.Nested(NamedRefSchema, dump_only=True)
    downloaded_at = WallClockDateTime(dump_only=True)


class IssuedReportSchema(Schema):
    """One issued version: frozen bytes with their SHA-256 and the issue control."""

    id = fields.Int(dump_only=True)
    audit_id = fields.Int(dump_only=True)
    kind = enum_field(ReportKind, dump_only=True)
    label = fields.Str(dump_only=True, metadata={"description": "E.g. Audit report, version 2."})
    version = fields.Int(dump_only=True)
    change_note = fields.Str(dump_only=True)
    file_name = fields.Str(dump_only=True)
    size = fields.Int(dump_only=True, metadata={"description": "Bytes."})
    sha256 = fields.Str(dump_only=True, metadata=SHA256)
    template_sha256 = fields.Str(
        dump_only=True, metadata={**SHA256, "description": "SHA-256 of the Word template it was built from."}
    )
    prepared_by = fields.Nested(NamedRefSchema, dump_only=True)
    prepared_at = WallClockDateTime(dump_only=True)
    reviewed_by = fields.Nested(NamedRefSchema, dump_only=True)
    reviewed_on = fields.Date(dump_only=True)
    approved_by = fields.Nested(NamedRefSchema, dump_only=True)
    approved_on = fields.Date(dump_only=True)
    distribution = fields.Method(
        "_distribution",
        dump_only=True,
        metadata={"type": "array", "items": {"type": "string"}, "description": "One recipient per entry."},
    )
    download_url = fields.Function(_download_url, dump_only=True, metadata={"type": "string"})

    def _distribution(self, report: IssuedReport) -> list[str]:
        return [line for line in report.distribution.split("\n") if line.strip()]


class IssuedReportRecordSchema(IssuedReportSchema):
    """An issued report with the evidence manifest it was frozen with and who downloaded it."""

    manifest = fields.List(
        fields.Nested(ManifestEntrySchema),
        dump_only=True,
        metadata={"description": "Every evidence file the report relies on, with its SHA-256 when issued."},
    )
    downloads = fields.List(
        fields.Nested(ReportDownloadSchema), dump_only=True, metadata={"description": "Oldest first."}
    )


class AuditReportsSchema(Schema):
    """The audit's issued reports and whether the caller may issue the next version now."""

    reports = fields.List(
        fields.Nested(IssuedReportSchema), dump_only=True, metadata={"description": "By kind, then version."}
    )
    missing = fields.List(
        fields.Str(),
        dump_only=True,
        metadata={"description": "What stops the report being issued (empty when ready)."},
    )
    may_issue = fields.Bool(
        dump_only=True, metadata={"description": "The caller is the audit's lead auditor and nothing is missing."}
    )
    is_lead = fields.Bool(dump_only=True, metadata={"description": "The caller is the audit's lead auditor."})


class HashCheckSchema(Schema):
    name = fields.Str(dump_only=True)
    recorded = fields.Str(dump_only=True, metadata={**SHA256, "description": "SHA-256 recorded when issued."})
    actual = fields.Str(
        dump_only=True,
        allow_none=True,
        metadata={"description": "SHA-256 of the bytes as stored now; null when the file is missing."},
    )
    ok = fields.Bool(dump_only=True)
    outcome = fields.Str(
        dump_only=True,
        validate=validate.OneOf(("matches", "CHANGED", "missing")),
        metadata={"enum": ["matches", "CHANGED", "missing"]},
    )


class ReportVerificationSchema(Schema):
    """Every hash recomputed now: the report's bytes and each evidence file of its manifest."""

    report_id = fields.Int(dump_only=True)
    ok = fields.Bool(dump_only=True, metadata={"description": "Every hash matches what was recorded."})
    report = fields.Nested(HashCheckSchema, dump_only=True)
    evidence = fields.List(fields.Nested(HashCheckSchema), dump_only=True)
    failures = fields.Int(dump_only=True, metadata={"description": "How many hashes do not match (or are missing)."})
