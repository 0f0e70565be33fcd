"""Merging findings: the lead auditor folds one finding into another of the same audit (both kept)."""

from __future__ import annotations

from audit_app.errors import Conflict, NotAllowed, ValidationFailed
from audit_app.models import Finding, FindingClause, FindingSample, User
from audit_app.services.findings import flow, history
from audit_app.services.findings.policy import FindingParty, parties
from audit_app.services.findings.records import link_state


def merge(finding: Finding, into: Finding, *, actor: User, reason: str) -> Finding:
    """Merge a finding into another of the same audit: its criteria, evidence, items and samples join the other,
    and it stays, marked merged, pointing at it."""
    if into.id == finding.id or into.audit_id != finding.audit_id or finding.audit_id is None:
        raise ValidationFailed.on("into", "Merge into another finding of the same audit.")
    if into.is_final:
        raise Conflict(f"{into.label} is {into.status.label.lower()}; merge into a finding that is still open.")
    if FindingParty.REVIEWER not in parties(actor, into):
        raise NotAllowed("Only the lead auditor (or an administrator) merges findings.")
    if not flow.FLOW.find(finding.status, "merge") or not reason.strip():
        flow.act(finding, "merge", actor=actor, reason=reason)  # refuses (state, role, reason) before any change
    links_before = link_state(into)
    known = set(into.clause_refs)
    into.clauses.extend(FindingClause(ref=c.ref) for c in finding.clauses if c.ref not in known)
    into.evidence.extend(e for e in finding.evidence if e not in into.evidence)
    into.items.extend(r for r in finding.items if r not in into.items)
    cited = {s.sample_id for s in into.samples}
    into.samples.extend(
        FindingSample(sample_id=s.sample_id, summary=s.summary, deviating_items=list(s.deviating_items))
        for s in finding.samples
        if s.sample_id not in cited
    )
    finding.merged_into_id = into.id
    flow.act(finding, "merge", actor=actor, reason=reason)
    history.changes(
        into.id, links_before, link_state(into), actor=actor, event="merged", reason=f"{finding.label}: {reason}"
    )
    history.add(finding.id, "merged", actor=actor, field="merged_into", new=into.label, reason=reason)
    return finding
