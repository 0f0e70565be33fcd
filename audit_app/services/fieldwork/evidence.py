"""Objective evidence: entries per checklist item, and uploaded files checked by content and hashed."""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from datetime import date
from typing import IO

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import selectinload

from audit_app.errors import NotAllowed, NotFound, ValidationFailed
from audit_app.extensions import db
from audit_app.models import (
    Audit,
    ChecklistResponse,
    Evidence,
    EvidenceDownload,
    EvidenceFile,
    EvidenceMethod,
    EvidenceMode,
    Finding,
    Role,
    SubjectKind,
    User,
    finding_evidence,
)
from audit_app.services import access, activity, storage
from audit_app.services.access import Need
from audit_app.services.fieldwork import verdicts
from audit_app.services.paging import Page, PageRequest, paginate
from audit_app.services.text import BIDI_CONTROLS, CONTROLS, NOT_TEXT, SEPARATORS, clean, code_points

#: Extension -> (MIME type, how the content is recognised).
KNOWN_TYPES: dict[str, tuple[str, str]] = {
    "pdf": ("application/pdf", "pdf"),
    "png": ("image/png", "png"),
    "jpg": ("image/jpeg", "jpeg"),
    "jpeg": ("image/jpeg", "jpeg"),
    "gif": ("image/gif", "gif"),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", "pptx"),
    "csv": ("text/csv", "text"),
    "txt": ("text/plain", "text"),
    "md": ("text/markdown", "text"),
    "json": ("application/json", "text"),
}
_OFFICE_PART = {"docx": "word/document.xml", "xlsx": "xl/workbook.xml", "pptx": "ppt/presentation.xml"}
_DANGEROUS = (
    (b"MZ", "a Windows executable"),
    (b"\x7fELF", "a Linux executable"),
    (b"\xcf\xfa\xed\xfe", "a macOS executable"),
    (b"#!", "a script"),
)


class UploadRefused(ValidationFailed):
    """The upload was refused; nothing was stored."""

    def __init__(self, message: str) -> None:
        super().__init__(message, {"file": [message]})


def allowed_extensions() -> list[str]:
    return [e for e in current_app.config["EVIDENCE_ALLOWED_EXTENSIONS"] if e in KNOWN_TYPES]


def files() -> storage.Storage:
    """Where evidence files are kept (write-once; a refused or failed request leaves none behind)."""
    return storage.area("evidence")


#: The quoted `filename` parameter of a multipart part's Content-Disposition header, as the client wrote it.
_QUOTED_FILENAME = re.compile(r'(?:^|;)\s*filename\s*=\s*"((?:[^"\\]|\\.)*)"', re.IGNORECASE)
_EXTENDED_FILENAME = re.compile(r"(?:^|;)\s*filename\*\s*=", re.IGNORECASE)


def name_as_sent(parsed: str | None, content_disposition: str | None) -> str:
    """The name of an uploaded file as the client sent it, backslashes included.

    Werkzeug reads the `filename` parameter as an HTTP quoted-string, where a backslash escapes the next character,
    so a browser's `filename="..\\x.pdf"` reaches `FileStorage.filename` as "..x.pdf" and `C:\\a\\b.pdf` as
    "C:ab.pdf". Browsers do not escape backslashes there (the HTML standard percent-encodes only the quote, CR and
    LF), so the backslashes were the user's and vanished before our check could see them. When the raw parameter
    in the part's header holds a backslash, this returns it as written, for `check_upload` to refuse as a path.
    """
    if not content_disposition or "\\" not in content_disposition or _EXTENDED_FILENAME.search(content_disposition):
        return parsed or ""  # nothing was unescaped, or the RFC 5987 form (percent-encoded) was used
    match = _QUOTED_FILENAME.search(content_disposition)
    if match is None or "\\" not in match.group(1):
        return parsed or ""
    return match.group(1).replace("%22", '"')


def _safe_name(name: str) -> str:
    """The display name of an upload (NFC), or the refusal: no path, no control, direction or non-text character.

    Names are refused rather than silently changed: a name with a right-to-left override (U+202E) reads
    differently from what it is ("invoice", U+202E, "fdp.exe" shows as "invoiceexe.pdf"), and the user should rename
    the file knowingly.
    """
    raw = unicodedata.normalize("NFC", name or "")
    if not raw.strip():
        raise UploadRefused("The file has no name.")
    if any(sep in raw for sep in ("/", "\\")) or raw.strip() in (".", "..") or ".." in raw.split("."):
        raise UploadRefused(f"The file name {raw!r} contains a path; upload the file under a plain name.")
    if CONTROLS.search(raw) or "\t" in raw:
        raise UploadRefused("The file name contains control characters.")
    if SEPARATORS.search(raw) or "\n" in raw:
        raise UploadRefused("The file name contains a line break; rename the file to a single line.")
    if found := BIDI_CONTROLS.findall(raw):
        raise UploadRefused(
            f"The file name contains invisible text-direction controls ({code_points(''.join(found))}) that make it "
            "read differently from what it is; rename the file without them."
        )
    if found := NOT_TEXT.findall(raw):
        raise UploadRefused(
            f"The file name contains characters that are not text ({code_points(''.join(found))}); rename the file."
        )
    if len(raw.strip()) > 200:
        raise UploadRefused("The file name is longer than 200 characters.")
    return clean(raw, field="file", max_length=200)  # like every text: nothing above is left for it to refuse


def _matches(kind: str, data: bytes, ext: str) -> bool:
    if kind == "pdf":
        return data.startswith(b"%PDF-")
    if kind == "png":
        return data.startswith(b"\x89PNG\r\n\x1a\n")
    if kind == "jpeg":
        return data.startswith(b"\xff\xd8\xff")
    if kind == "gif":
        return data.startswith((b"GIF87a", b"GIF89a"))
    if kind in _OFFICE_PART:
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                return _OFFICE_PART[kind] in archive.namelist()
        except zipfile.BadZipFile:
            return False
    if kind == "text":
        if b"\x00" in data or data.startswith(b"#!"):
            return False
        try:
            data.decode("utf-8-sig")
        except UnicodeDecodeError:
            return False
        return True
    return False


def check_upload(name: str, data: bytes) -> tuple[str, str]:
    """Refuse unsafe names, empty or oversize files and content that is not what the extension says.

    Returns the clean display name and the MIME type.
    """
    display = _safe_name(name)
    ext = display.rsplit(".", 1)[-1].lower() if "." in display else ""
    allowed = allowed_extensions()
    if ext not in allowed:
        raise UploadRefused(
            f"Files of type .{ext or '(none)'} are not accepted. Allowed: " + ", ".join(f".{e}" for e in allowed) + "."
        )
    if not data:
        raise UploadRefused(f"{display} is empty.")
    limit = current_app.config["EVIDENCE_MAX_BYTES"]
    if len(data) > limit:
        shown = f"{limit / (1024 * 1024):g} MB" if limit >= 1024 * 1024 else f"{limit:,} bytes"
        raise UploadRefused(f"{display} is larger than the limit of {shown}.")
    mime, kind = KNOWN_TYPES[ext]
    if not _matches(kind, data, ext):
        looks = next((what for magic, what in _DANGEROUS if data.startswith(magic)), None)
        detail = f" It looks like {looks}." if looks else ""
        raise UploadRefused(f"The content of {display} is not a .{ext} file.{detail} Nothing was stored.")
    return display, mime


@dataclass(frozen=True)
class EvidenceData:
    method: EvidenceMethod
    mode: EvidenceMode
    source: str
    evidence_date: date
    description: str = ""
    #: The in-scope AI system, unit or site the entry concerns; None for the item as a whole.
    subject: tuple[SubjectKind, int] | None = None


def add_evidence(
    response: ChecklistResponse, data: EvidenceData, *, actor: User, files: list[tuple[str, bytes]] | None = None
) -> Evidence:
    """Record an evidence entry for a checklist item, with any files (all checked before anything is stored)."""
    access.ensure(actor, response.audit, Need.WORK)
    source = clean(data.source, field="source", max_length=300, required=True)
    description = clean(data.description, field="description", max_length=20000, multiline=True)
    if data.subject is not None and data.subject not in {s.key for s in verdicts.subjects_of(response.audit)}:
        raise ValidationFailed.on("subject", "That AI system, unit or site is not in the audit's scope.")
    checked = [(check_upload(name, content), content) for name, content in files or []]
    system_id = data.subject[1] if data.subject and data.subject[0] is SubjectKind.AI_SYSTEM else None
    unit_id = data.subject[1] if data.subject and data.subject[0] is SubjectKind.ORG_UNIT else None
    evidence = Evidence(
        ai_system_id=system_id,
        org_unit_id=unit_id,
        audit_id=response.audit_id,
        method=data.method,
        mode=data.mode,
        source=source,
        description=description,
        evidence_date=data.evidence_date,
        recorded_by_id=actor.id,
    )
    response.evidence.append(evidence)
    db.session.flush()
    for (display, mime), content in checked:
        _store(evidence, display, mime, content, actor)
    activity.record(
        actor,
        "evidence.added",
        evidence,
        audit_id=response.audit_id,
        ref=response.item.ref,
        files=[f.name for f in evidence.files],
        concerns=data.subject and f"{data.subject[0].value}:{data.subject[1]}",
    )
    return evidence


def add_file(evidence: Evidence, name: str, content: bytes, *, actor: User) -> EvidenceFile:
    """Attach a file; the same name again is stored as a new version, never over the old one."""
    access.ensure(actor, evidence.response.audit, Need.WORK)
    display, mime = check_upload(name, content)
    stored = _store(evidence, display, mime, content, actor)
    activity.record(actor, "evidence.file_added", evidence, name=display, version=stored.version, sha256=stored.sha256)
    return stored


def _next_version(evidence: Evidence, name: str) -> int:
    """The next version of `name` on the entry, read while holding the entry's lock ("max + 1" without a race).

    Parallel uploads of one name to one entry would all read the same highest version. A no-op UPDATE of the
    entry's row first takes its row lock on PostgreSQL and the database's write lock on SQLite, so the next
    upload reads the highest version only once this one has committed or rolled back: versions 1, 2, 3, …
    """
    db.session.execute(
        sa.update(Evidence)
        .where(Evidence.id == evidence.id)
        .values(id=Evidence.id)
        .execution_options(synchronize_session=False)
    )
    highest = db.session.scalar(
        sa.select(sa.func.max(EvidenceFile.version)).where(
            EvidenceFile.evidence_id == evidence.id, EvidenceFile.name == name
        )
    )
    return (highest or 0) + 1


def _store(evidence: Evidence, display: str, mime: str, content: bytes, actor: User) -> EvidenceFile:
    """Write the file and its record; a transaction that does not commit takes the file with it (storage)."""
    version = _next_version(evidence, display)
    stored_name = files().put(content)
    record = EvidenceFile(
        evidence_id=evidence.id,
        name=display,
        version=version,
        stored_name=stored_name,
        content_type=mime,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        uploaded_by_id=actor.id,
    )
    evidence.files.append(record)
    db.session.flush()
    return record


def evidence_page(audit: Audit, request: PageRequest) -> Page[Evidence]:
    """One page of the audit's evidence entries (oldest first) with their checklist item, subject, author and
    files: the same number of queries whatever the number of entries or files."""
    stmt = (
        sa.select(Evidence)
        .where(Evidence.audit_id == audit.id)
        .order_by(Evidence.id)
        .options(
            selectinload(Evidence.response).selectinload(ChecklistResponse.item),
            selectinload(Evidence.recorded_by),
            selectinload(Evidence.ai_system),
            selectinload(Evidence.org_unit),
            selectinload(Evidence.files).selectinload(EvidenceFile.uploaded_by),
        )
    )
    return paginate(stmt, request)


def get_entry(audit: Audit, evidence_id: int) -> Evidence:
    entry = db.session.get(Evidence, evidence_id)
    if entry is None or entry.audit_id != audit.id:
        raise NotFound("That evidence entry is not part of this audit.")
    return entry


def get_file(audit: Audit, file_id: int) -> EvidenceFile:
    record = db.session.get(EvidenceFile, file_id)
    if record is None or record.evidence.audit_id != audit.id:
        raise NotFound("That evidence file is not part of this audit.")
    return record


def can_download(user: User, record: EvidenceFile) -> bool:
    """The audit team and administrators; an auditee, the files of an entry cited by an issued finding they see.

    A draft or submitted finding's evidence stays the team's working paper; another unit's finding is invisible
    (findings.policy.visible_where), so its files are too.
    """
    if user.role is Role.AUDITEE:
        return _cited_for(user, record)
    return access.may(user, record.evidence.response.audit, Need.WORKING_PAPERS)


def _cited_for(user: User, record: EvidenceFile) -> bool:
    from audit_app.services.findings.policy import visible_where  # findings build on fieldwork, not the reverse

    cited = (
        sa.select(Finding.id)
        .join(finding_evidence, finding_evidence.c.finding_id == Finding.id)
        .where(
            finding_evidence.c.evidence_id == record.evidence_id,
            Finding.issued_at.is_not(None),
            visible_where(user),
        )
        .limit(1)
    )
    return db.session.scalar(cited) is not None


def file_for_download(user: User, audit_id: int, file_id: int) -> EvidenceFile:
    """The evidence file to download: staff through the audit's working papers; an auditee only a file they may
    download (anything else is reported missing: they never learn which evidence exists)."""
    if user.role is not Role.AUDITEE:
        return get_file(access.load_audit(user, audit_id, Need.WORKING_PAPERS), file_id)
    record = db.session.get(EvidenceFile, file_id) if 0 < file_id <= access.MAX_ID else None
    if record is None or record.evidence.audit_id != audit_id or not can_download(user, record):
        raise NotFound("That evidence file does not exist.")
    return record


def open_download(record: EvidenceFile, *, actor: User) -> IO[bytes]:
    """Authorize and log a download; return the stored file, open for reading."""
    if not can_download(actor, record):
        raise NotAllowed("You may not download this evidence file.")
    try:
        handle = files().open(record.stored_name)
    except FileNotFoundError as exc:
        raise NotFound("The stored file is missing; tell your administrator.") from exc
    db.session.add(EvidenceDownload(file_id=record.id, user_id=actor.id))
    return handle
