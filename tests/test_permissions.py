"""Role x endpoint matrix: every endpoint declares its roles, and the server enforces them.

EXPECTED is the specification. Anonymous requests go to the login page (UI) or get 401 (API);
a role outside the list gets 403; a role inside it never gets 401 or 403.
"""

from __future__ import annotations

import hashlib
from datetime import date, time

import pytest
from flask import Flask

from audit_app.authz import ADMIN_ONLY, ALL_ROLES, PLANNERS, PUBLIC_ENDPOINTS, STAFF, WORKERS
from audit_app.extensions import db
from audit_app.models import (
    Adequacy,
    AIRole,
    AISystem,
    ApiToken,
    Audit,
    AuditAuditee,
    AuditProgramme,
    AuditRisk,
    AuditRiskKind,
    AuditSession,
    AuditTeamMember,
    AuditType,
    CapaFile,
    ChecklistResponse,
    CorrectiveAction,
    DocKind,
    DocumentedInfo,
    DocumentReview,
    DueDate,
    DueExtension,
    DueStep,
    Evidence,
    EvidenceFile,
    EvidenceMethod,
    EvidenceMode,
    FilePurpose,
    Finding,
    FindingStatus,
    IssuedReport,
    LifecycleStage,
    Notification,
    OrgUnit,
    Rating,
    ReportKind,
    RiskLevel,
    Role,
    Sample,
    SampleItem,
    SessionActivity,
    TeamRole,
    UnitKind,
    User,
    utcnow,
)
from audit_app.models.soa import SoaEntry, SoaVersion
from audit_app.services import accounts
from audit_app.services.library import checklists
from audit_app.services.library.checklist_files import parse_documents
from audit_app.services.reports import issuing

ALL = frozenset(ALL_ROLES)
ADMIN = frozenset(ADMIN_ONLY)
STAFF_ = frozenset(STAFF)
PLAN = frozenset(PLANNERS)
WORK = frozenset(WORKERS)
READINESS = frozenset({Role.ADMIN, Role.LEAD_AUDITOR, Role.VIEWER})
SNAPSHOTS = frozenset({Role.ADMIN, Role.LEAD_AUDITOR})

#: endpoint -> roles allowed. Every non-public endpoint of the app must be listed.
EXPECTED: dict[str, frozenset[Role]] = {
    "main.index": ALL,
    # the documented-information register: staff read; admins, lead auditors and the entry's owner change it
    "docinfo.index": STAFF_,
    "docinfo.entry": STAFF_,
    "docinfo.new": PLAN,
    "docinfo.edit": frozenset({Role.ADMIN, Role.LEAD_AUDITOR, Role.VIEWER}),
    "docinfo.retire": PLAN,
    "api_docinfo.list_entries": STAFF_,
    "api_docinfo.create_entry": PLAN,
    "api_docinfo.get_entry": STAFF_,
    "api_docinfo.put_entry": frozenset({Role.ADMIN, Role.LEAD_AUDITOR, Role.VIEWER}),
    "api_docinfo.retire_entry": PLAN,
    # the Statement of Applicability: staff read every version (drafts included); admins and lead auditors change it
    "soa.index": STAFF_,
    "soa.start_draft": PLAN,
    "soa.version": STAFF_,
    "soa.entry": PLAN,
    "soa.add_control": PLAN,
    "soa.approve": PLAN,
    "soa.compare": STAFF_,
    "soa.export_word": STAFF_,
    "soa.export_xlsx": STAFF_,
    "api_soa.list_versions": STAFF_,
    "api_soa.start_draft": PLAN,
    "api_soa.get_version": STAFF_,
    "api_soa.add_control": PLAN,
    "api_soa.get_entry": STAFF_,
    "api_soa.put_entry": PLAN,
    "api_soa.approve": PLAN,
    "api_soa.compare_versions": STAFF_,
    "api_soa.export_word": STAFF_,
    "api_soa.export_xlsx": STAFF_,
    # management reviews: staff read; admins and lead auditors record; an action's owner completes it
    "reviews.index": STAFF_,
    "reviews.pack": STAFF_,
    "reviews.new": PLAN,
    "reviews.review": STAFF_,
    "reviews.edit": PLAN,
    "reviews.record": PLAN,
    "reviews.add_action": PLAN,
    "reviews.complete": STAFF_,
    "reviews.cancel": PLAN,
    "api_reviews.list_reviews": STAFF_,
    "api_reviews.plan_review": PLAN,
    "api_reviews.get_pack": STAFF_,
    "api_reviews.get_review": STAFF_,
    "api_reviews.put_review": PLAN,
    "api_reviews.get_inputs": STAFF_,
    "api_reviews.put_inputs": PLAN,
    "api_reviews.add_action": PLAN,
    "api_reviews.complete_action": STAFF_,
    "api_reviews.cancel_action": PLAN,
    # findings: the auditee's answer and the corrective-action loop (web/findings/capa.py)
    "findings.dispute": frozenset({Role.AUDITEE}),
    "findings.answer_dispute": frozenset({Role.ADMIN, Role.LEAD_AUDITOR}),
    "findings.plan": frozenset({Role.AUDITEE}),
    "findings.new_action": frozenset({Role.AUDITEE}),
    "findings.edit_action": frozenset({Role.AUDITEE}),
    "findings.cancel_action": frozenset({Role.AUDITEE}),
    "findings.implementation": frozenset({Role.AUDITEE}),
    "findings.verify": WORK,
    "findings.effectiveness": WORK,
    "findings.consider": frozenset({Role.AUDITEE}),
    "findings.capa_file": STAFF_ | {Role.AUDITEE},
    # Findings: due dates and extension requests (the auditee asks, the reviewer decides)
    "findings.request_extension": frozenset({Role.AUDITEE}),
    "findings.request_action_extension": frozenset({Role.AUDITEE}),
    "findings.decide_extension": frozenset({Role.ADMIN, Role.LEAD_AUDITOR}),
    "auth.logout": ALL,
    "auth.password": ALL,
    "account.tokens": ALL,
    "account.revoke": ALL,
    "library.index": ALL,
    "library.version": ALL,
    "library.item": ALL,
    "org.profile": ALL,
    "org.units": ALL,
    "org.systems": ALL,
    "org.system": ALL,
    "org.edit_profile": ADMIN,
    "org.edit_unit": ADMIN,
    "org.edit_system": ADMIN,
    "admin.users": ADMIN,
    "admin.new_user": ADMIN,
    "admin.edit_user": ADMIN,
    "admin.set_active": ADMIN,
    "admin.checklist_import": ADMIN,
    "admin.activity": ADMIN,
    "admin.email": ADMIN,
    "admin.retry_email": ADMIN,
    # The organisation's branded Word template (web/admin/templates_routes.py)
    "admin.report_template": ADMIN,
    "admin.default_template": ADMIN,
    "admin.current_template": ADMIN,
    "admin.retire_template": ADMIN,
    # Reports through the API (api/reports.py): drafts, nonconformity reports, issue, issued versions
    "api_reports.get_document": ALL,
    "api_reports.get_nc_report": ALL,
    "api_reports.list_reports": STAFF_,
    "api_reports.issue_report": PLAN,
    "api_reports.get_settings": STAFF_,
    "api_reports.put_settings": PLAN,
    "api_reports.get_report": STAFF_,
    "api_reports.download_report": STAFF_,
    "api_reports.verify_report": STAFF_,
    # Report and documents (web/reports): object rules narrow these (team for drafts, the audit's lead issues)
    "reports.index": ALL,
    "reports.draft": ALL,
    "reports.settings": PLAN,
    "reports.issue": PLAN,
    "reports.detail": STAFF_,
    "reports.file": STAFF_,
    "reports.verify": STAFF_,
    "reports.nc_report": ALL,
    "reports.capa_register": ALL,
    # Readiness (web/readiness, api/readiness): the whole AIMS, so admins, lead auditors and management only
    "readiness.dashboard": READINESS,
    "readiness.save_snapshot": SNAPSHOTS,
    "api_readiness.get_readiness": READINESS,
    "api_readiness.list_snapshots": READINESS,
    "api_readiness.create_snapshot": SNAPSHOTS,
    "api_me.me": ALL,
    "api_users.list_users": ADMIN,
    "api_users.create_user": ADMIN,
    "api_users.get_user": ADMIN,
    "api_users.update_user": ADMIN,
    "api_org.get_organisation": ALL,
    "api_org.put_organisation": ADMIN,
    "api_org.list_units": ALL,
    "api_org.create_unit": ADMIN,
    "api_org.get_unit": ALL,
    "api_org.update_unit": ADMIN,
    "api_org.list_systems": ALL,
    "api_org.create_system": ADMIN,
    "api_org.get_system": ALL,
    "api_org.update_system": ADMIN,
    "api_checklists.list_versions": ALL,
    "api_checklists.get_version": ALL,
    "api_checklists.list_items": ALL,
    "api_checklists.get_item": ALL,
    # Audit programmes and planning
    "programmes.index": STAFF_,
    "programmes.new": PLAN,
    "programmes.detail": STAFF_,
    "programmes.edit": PLAN,
    "programmes.scope_coverage": STAFF_,
    "audits.index": ALL,
    "audits.mine": ALL,
    "audits.calendar": ALL,
    "audits.new": PLAN,
    "audits.detail": ALL,
    "audits.edit": PLAN,
    "audits.scope": PLAN,
    "audits.criteria": PLAN,
    "audits.transition": PLAN,
    "audits.preparation_page": STAFF_,
    "audits.add_risk": PLAN,
    "audits.remove_risk": PLAN,
    "audits.add_document": PLAN,
    "audits.remove_document": PLAN,
    "audits.confirm_fieldwork": PLAN,
    "audits.conclusions_page": STAFF_,
    "audits.record_conference": PLAN,
    "planning.team": PLAN,
    "planning.remove_member": PLAN,
    "planning.declare": STAFF_,
    "planning.add_auditee": PLAN,
    "planning.remove_auditee": PLAN,
    "planning.agenda": ALL,
    "planning.new_session": PLAN,
    "planning.edit_session": PLAN,
    "planning.delete_session": PLAN,
    "planning.meeting": PLAN,
    "planning.record_exception": PLAN,
    "auditors.index": PLAN,
    "auditors.detail": WORK,
    "auditors.mine": WORK,
    "auditors.edit": PLAN,
    "auditors.evaluate": PLAN,
    "api_planning.record_exception": PLAN,
    "api_auditors.get_auditor": WORK,
    "api_auditors.put_profile": PLAN,
    "api_auditors.create_evaluation": PLAN,
    "api_auditors.team_competence": STAFF_,
    "notifications.index": ALL,
    "notifications.mark_read": ALL,
    "api_programmes.list_programmes": STAFF_,
    "api_programmes.create_programme": PLAN,
    "api_programmes.get_programme": STAFF_,
    "api_programmes.update_programme": PLAN,
    "api_programmes.get_coverage": STAFF_,
    "api_audits.list_audits": ALL,
    "api_audits.create_audit": PLAN,
    "api_audits.get_audit": ALL,
    "api_audits.update_audit": PLAN,
    "api_audits.set_scope": PLAN,
    "api_audits.set_criteria": PLAN,
    "api_audits.list_transitions": ALL,
    "api_audits.create_transition": PLAN,
    "api_audits.get_preparation": STAFF_,
    "api_audits.add_risk": PLAN,
    "api_audits.change_risk": PLAN,
    "api_audits.remove_risk": PLAN,
    "api_audits.add_document": PLAN,
    "api_audits.change_document": PLAN,
    "api_audits.remove_document": PLAN,
    "api_audits.get_conclusions": STAFF_,
    "api_audits.put_conference": PLAN,
    "api_planning.list_team": ALL,
    "api_planning.add_member": PLAN,
    "api_planning.remove_member": PLAN,
    "api_planning.confirm_declaration": STAFF_,
    "api_planning.add_auditee": PLAN,
    "api_planning.remove_auditee": PLAN,
    "api_planning.list_sessions": ALL,
    "api_planning.create_session": PLAN,
    "api_planning.update_session": PLAN,
    "api_planning.delete_session": PLAN,
    "api_planning.list_conflicts": STAFF_,
    "api_planning.get_meeting": ALL,
    "api_planning.put_meeting": PLAN,
    # Fieldwork: working checklist, evidence, samples
    "fieldwork.checklist": STAFF_,
    "fieldwork.item": STAFF_,
    "fieldwork.save_response": WORK,
    "fieldwork.add_evidence": WORK,
    "fieldwork.add_file": WORK,
    "fieldwork.download": STAFF_ | {Role.AUDITEE},
    "samples.index": STAFF_,
    "samples.new": WORK,
    "samples.detail": STAFF_,
    "samples.population": WORK,
    "samples.size": WORK,
    "samples.draw": WORK,
    "samples.record_results": WORK,
    "samples.evaluate": WORK,
    "samples.interpret": WORK,
    "samples.sign_off": WORK,
    "samples.reperform": WORK,
    "samples.export": STAFF_,
    "samples.calculator": STAFF_,
    "findings.register": ALL,
    "findings.register_actions": ALL,
    "findings.register_csv": ALL,
    "findings.register_xlsx": ALL,
    "api_fieldwork.list_responses": STAFF_,
    "api_fieldwork.get_response": STAFF_,
    "api_fieldwork.update_response": WORK,
    "api_fieldwork.list_evidence": STAFF_,
    "api_fieldwork.create_evidence": WORK,
    "api_fieldwork.upload_file": WORK,
    "api_fieldwork.download_file": STAFF_ | {Role.AUDITEE},
    "api_samples.list_samples": STAFF_,
    "api_samples.create_sample": WORK,
    "api_samples.get_sample": STAFF_,
    "api_samples.set_population": WORK,
    "api_samples.set_size": WORK,
    "api_samples.draw": WORK,
    "api_samples.list_items": STAFF_,
    "api_samples.update_item": WORK,
    "api_samples.record_results": WORK,
    "api_samples.evaluate": WORK,
    "api_samples.interpret": WORK,
    "api_samples.sign_off": WORK,
    "api_samples.recheck": WORK,
    "api_findings.list_findings": ALL,
    "api_findings.get_finding": ALL,
    "api_findings.list_history": ALL,
    "api_findings.create_in_audit": WORK,
    "api_findings.create_outside_audit": WORK,
    "api_findings.raise_from_sample": WORK,
    "api_findings.update_finding": WORK,
    "api_findings.regrade": WORK,
    "api_findings.override_flag": WORK,
    "api_findings.merge": WORK,
    "api_findings.move": ALL,
    "api_findings.dispute": frozenset({Role.AUDITEE}),
    "api_findings.decide_dispute": WORK,
    "api_capa.verify": WORK,
    "api_capa.review_effectiveness": WORK,
    "api_capa.consider": frozenset({Role.AUDITEE}),
    "api_capa.save_plan": frozenset({Role.AUDITEE}),
    "api_capa.list_actions": ALL,
    "api_capa.add_action": frozenset({Role.AUDITEE}),
    "api_capa.edit_action": frozenset({Role.AUDITEE}),
    "api_capa.cancel_action": frozenset({Role.AUDITEE}),
    "api_capa.record_implementation": ALL,
    "api_capa.download_file": ALL,
    "findings.audit_findings": ALL,
    "findings.new_in_audit": WORK,
    "findings.new_outside": WORK,
    "findings.raise_from_sample": WORK,
    "findings.detail": ALL,
    "findings.edit": WORK,
    "findings.regrade": frozenset({Role.ADMIN, Role.LEAD_AUDITOR}),
    "findings.merge": frozenset({Role.ADMIN, Role.LEAD_AUDITOR}),
    "findings.override": WORK,
    "findings.move": frozenset({Role.ADMIN, Role.LEAD_AUDITOR, Role.AUDITOR, Role.AUDITEE}),
}

TINY_CHECKLIST = b"""
checklist: {code: matrix, title: Matrix checklist, version: "1"}
items:
  - {id: M-1, title: Requirement one, kind: requirement, parent: null, questions: ["a?", "b?", "c?"],
     evidence: {records: [r]}}
"""


def _app_endpoints(app: Flask) -> dict[str, list[tuple[str, str]]]:
    """endpoint -> [(method, rule)] for every route of the app."""
    found: dict[str, list[tuple[str, str]]] = {}
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.setdefault(rule.endpoint, []).append((method, rule.rule))
    return found


def test_every_endpoint_declares_its_roles(app):
    for endpoint, view in app.view_functions.items():
        if endpoint in PUBLIC_ENDPOINTS:
            continue
        declared = getattr(view, "required_roles", None)
        assert declared, f"{endpoint} has no @require_role"
        assert frozenset(declared) == EXPECTED.get(endpoint), f"{endpoint} declares {declared}"


def test_matrix_lists_every_endpoint(app):
    routed = set(_app_endpoints(app)) - PUBLIC_ENDPOINTS
    assert routed == set(EXPECTED)


def test_public_endpoints_are_only_login_static_openapi_and_calculators():
    expected = {"auth.login", "static", "api-docs.openapi_json"}
    expected |= {"api_sampling.attribute_size", "api_sampling.upper_limit"}
    assert expected == PUBLIC_ENDPOINTS


@pytest.fixture
def world(app):
    """One user per role, a unit, an AI system, a tiny checklist and a token per role (no password hashing)."""
    with app.app_context():
        unit = OrgUnit(name="Matrix unit", kind=UnitKind.DEPARTMENT)
        db.session.add(unit)
        db.session.flush()
        users = {}
        for role in Role:
            user = User(email=f"{role.value}@matrix.test", name=role.value, role=role, org_unit_id=unit.id)
            db.session.add(user)
            users[role] = user
        system = AISystem(
            name="Matrix model",
            purpose="p",
            roles=[AIRole.DEVELOPER],
            risk_level=RiskLevel.LOW,
            owner_unit_id=unit.id,
            lifecycle_stage=LifecycleStage.INCEPTION,
        )
        db.session.add(system)
        parsed = parse_documents({"m.yaml": TINY_CHECKLIST}, max_bytes=10_000, manifest="m.yaml")
        version = checklists.load(parsed, source="test", actor=None).version
        tokens = {role: accounts.create_token(user, "matrix", actor=None)[1] for role, user in users.items()}
        db.session.flush()
        programme = AuditProgramme(
            code="2026",
            title="Matrix programme",
            period_start=date(2026, 1, 1),
            period_end=date(2026, 12, 31),
            checklist_version_id=version.id,
        )
        audit = Audit(
            programme=programme,
            sequence=1,
            reference="IA-2026-01",
            title="Matrix audit",
            audit_type=AuditType.INTERNAL,
            start_date=date(2026, 6, 1),
            end_date=date(2026, 6, 3),
            lead_auditor_id=users[Role.LEAD_AUDITOR].id,
            scope_units=[unit],
            criteria=[version],
            scope_items=list(version.items),
        )
        db.session.add_all([programme, audit])
        # Every staff account is on the team so object-level rules do not mask the role check.
        team_roles = {
            Role.LEAD_AUDITOR: TeamRole.LEAD_AUDITOR,
            Role.AUDITOR: TeamRole.AUDITOR,
            Role.ADMIN: TeamRole.AUDITOR,
            Role.VIEWER: TeamRole.OBSERVER,
        }
        audit.team = [AuditTeamMember(user_id=users[r].id, role=t) for r, t in team_roles.items()]
        auditee = AuditAuditee(user_id=users[Role.AUDITEE].id, name="Auditee", position="Owner")
        audit.auditees = [auditee]
        session = AuditSession(
            audit=audit,
            day=date(2026, 6, 1),
            start_time=time(9, 0),
            duration_minutes=60,
            activity=SessionActivity.INTERVIEW,
            title="Interview",
        )
        db.session.add(session)
        note = Notification(user_id=users[Role.VIEWER].id, kind="test", subject="s", dedupe_key="matrix")
        db.session.add(note)
        db.session.flush()
        member_id = next(m.id for m in audit.team if m.user_id == users[Role.AUDITOR].id)
        response = ChecklistResponse(audit_id=audit.id, checklist_item_id=version.items[0].id)
        db.session.add(response)
        db.session.flush()
        evidence = Evidence(
            audit_id=audit.id,
            response_id=response.id,
            method=EvidenceMethod.INTERVIEW,
            mode=EvidenceMode.ON_SITE,
            source="Head of Credit Risk",
            evidence_date=date(2026, 6, 1),
        )
        db.session.add(evidence)
        db.session.flush()
        stored = EvidenceFile(
            evidence_id=evidence.id,
            name="notes.txt",
            stored_name="matrix-file",
            size=5,
            content_type="text/plain",
            sha256="0" * 64,
        )
        sample = Sample(audit_id=audit.id, sequence=1, title="Matrix sample")
        db.session.add_all([stored, sample])
        db.session.flush()
        sample_item = SampleItem(sample_id=sample.id, draw_order=1, population_index=0, key="K-1")
        db.session.add(sample_item)
        risk = AuditRisk(
            audit_id=audit.id,
            kind=AuditRiskKind.TIME,
            description="d",
            likelihood=Rating.LOW,
            impact=Rating.LOW,
            treatment="t",
        )
        review = DocumentReview(
            audit_id=audit.id, document="AI policy", adequacy=Adequacy.ADEQUATE, reviewed_on=date(2026, 5, 1)
        )
        db.session.add_all([risk, review])
        db.session.flush()
        # An issued finding of the auditee's unit, with an action, a file, a due date and an extension request.
        finding = Finding(
            audit_id=audit.id,
            programme=programme,
            grade="minor",
            statement="s",
            status=FindingStatus.ISSUED,
            issued_at=utcnow(),
            auditee_unit_id=unit.id,
            process_owner_id=users[Role.AUDITEE].id,
            reference="IA-2026-01-NC-01",
        )
        db.session.add(finding)
        db.session.flush()
        action = CorrectiveAction(
            finding_id=finding.id, description="d", owner_id=users[Role.AUDITEE].id, due_on=date(2026, 7, 1)
        )
        due = DueDate(
            finding_id=finding.id, step=DueStep.ACKNOWLEDGE, due_on=date(2026, 6, 5), original_due_on=date(2026, 6, 5)
        )
        db.session.add_all([action, due])
        db.session.flush()
        capa_file = CapaFile(
            finding_id=finding.id,
            action_id=action.id,
            purpose=FilePurpose.IMPLEMENTATION,
            name="done.txt",
            stored_name="matrix-capa-file",
            size=4,
            sha256="0" * 64,
        )
        extension = DueExtension(
            due_id=due.id, requested_due_on=date(2026, 6, 20), reason="r", requested_by_id=users[Role.AUDITEE].id
        )
        db.session.add_all([capa_file, extension])
        db.session.flush()
        # An issued report (its bytes stored for real, so the download and verification answer).
        payload = b"matrix report"
        report = IssuedReport(
            audit_id=audit.id,
            kind=ReportKind.AUDIT,
            version=1,
            file_name="matrix.docx",
            stored_name=issuing.area().put(payload),
            size=len(payload),
            sha256=hashlib.sha256(payload).hexdigest(),
            template_sha256="0" * 64,
            prepared_by_id=users[Role.LEAD_AUDITOR].id,
            reviewed_by_id=users[Role.ADMIN].id,
            reviewed_on=date(2026, 6, 4),
            approved_by_id=users[Role.ADMIN].id,
            approved_on=date(2026, 6, 4),
        )
        db.session.add(report)
        # a register entry owned by the management account, which may then change it like admins and leads
        entry = DocumentedInfo(title="Matrix policy", kind=DocKind.MAINTAIN, owner_id=users[Role.VIEWER].id)
        db.session.add(entry)
        # a draft SoA with one entry (drafts are what auditees must not see)
        soa = SoaVersion(number=1, entries=[SoaEntry(position=0, control_ref="A.2.2", title="AI policy")])
        db.session.add(soa)
        db.session.flush()
        db.session.commit()
        token_id = db.session.scalar(db.select(ApiToken.id).where(ApiToken.user_id == users[Role.VIEWER].id))
        return {
            "users": {role: (u.id, u.session_version) for role, u in users.items()},
            "tokens": tokens,
            "args": {
                "user_id": users[Role.VIEWER].id,
                "auditor_id": users[Role.AUDITOR].id,
                "unit_id": unit.id,
                "system_id": system.id,
                "version_id": version.id,
                "ref": "M-1",
                "token_id": token_id,
                "programme_id": programme.id,
                "audit_id": audit.id,
                "member_id": member_id,
                "auditee_id": auditee.id,
                "session_id": session.id,
                "kind": "opening",
                "notification_id": note.id,
                "response_id": response.id,
                "evidence_id": evidence.id,
                "file_id": stored.id,
                "sample_id": sample.id,
                "item_id": sample_item.id,
                "risk_id": risk.id,
                "review_id": review.id,
                "finding_id": finding.id,
                "action_id": action.id,
                "capa_file_id": capa_file.id,
                "due_id": due.id,
                "extension_id": extension.id,
                "document_kind": "audit-plan",
                "report_id": report.id,
                "entry_id": entry.id,
                "soa_id": soa.id,
                "soa_entry_id": soa.entries[0].id,
            },
        }


def _url(rule: str, args: dict) -> str:
    url = rule
    for name, value in args.items():
        for converter in ("int:", "string:", ""):
            url = url.replace(f"<{converter}{name}>", str(value))
    assert "<" not in url, f"no sample value for {rule}"
    return url


def _request(client, method: str, url: str, headers: dict | None = None):
    kwargs = {"headers": headers or {}}
    if method in ("POST", "PUT", "PATCH"):
        kwargs["json" if url.startswith("/api/") else "data"] = {}
    return client.open(url, method=method, **kwargs)


@pytest.mark.parametrize("endpoint", sorted(EXPECTED))
def test_role_matrix(endpoint, app, world):
    allowed = EXPECTED[endpoint]
    routes = _app_endpoints(app)[endpoint]
    # Disallowed roles first, so an allowed role's change (e.g. a deactivation) cannot mask a refusal.
    ordered = [r for r in Role if r not in allowed] + [r for r in Role if r in allowed]
    for method, rule in routes:
        url = _url(rule, world["args"])
        is_api = url.startswith("/api/")

        anonymous = _request(app.test_client(), method, url)
        if is_api:
            assert anonymous.status_code == 401, f"anonymous {method} {url}"
            assert anonymous.is_json
        else:
            assert anonymous.status_code == 302, f"anonymous {method} {url}"
            assert "/auth/login" in anonymous.headers["Location"]

        for role in ordered:
            client = app.test_client()
            headers = None
            if is_api:
                headers = {"Authorization": f"Bearer {world['tokens'][role]}"}
            else:
                user_id, version = world["users"][role]
                with client.session_transaction() as session:
                    session["_user_id"] = f"{user_id}:{version}"
            status = _request(client, method, url, headers).status_code
            if role in allowed:
                assert status not in (401, 403), f"{role} {method} {url} -> {status}"
            else:
                assert status == 403, f"{role} {method} {url} -> {status}, expected 403"
