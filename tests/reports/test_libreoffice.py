"""A real word processor opens the generated documents: LibreOffice converts them to PDF, and the page counts fall
in the range the content calls for (installed by .ci/run: libreoffice-writer-nogui and poppler-utils)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from flask import Flask

from audit_app.extensions import db
from audit_app.models import Audit, User
from audit_app.services.reports import generate
from tests.fixtures.reports import ReportWorld

SOFFICE = shutil.which("soffice")
PDFINFO = shutil.which("pdfinfo")


def _tools() -> tuple[str, str]:
    if SOFFICE is None or PDFINFO is None:
        pytest.fail(
            "LibreOffice and poppler are needed to check the Word documents: "
            "apt-get install libreoffice-writer-nogui poppler-utils (bash .ci/run installs them)"
        )
    return SOFFICE, PDFINFO


def _convert(documents: dict[str, bytes], folder: Path) -> dict[str, tuple[int, str]]:
    """Convert every document with one headless LibreOffice run; return name -> (page count, the PDF's text)."""
    soffice, pdfinfo = _tools()
    sources = []
    for name, data in documents.items():
        source = folder / f"{name}.docx"
        source.write_bytes(data)
        sources.append(str(source))
    profile = folder / "profile"
    subprocess.run(
        [soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
         "--convert-to", "pdf", "--outdir", str(folder), *sources],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    converted = {}
    for name in documents:
        pdf = folder / f"{name}.pdf"
        assert pdf.is_file(), f"LibreOffice wrote no PDF for {name}"
        info = subprocess.run([pdfinfo, str(pdf)], check=True, capture_output=True, text=True, timeout=60).stdout
        pages = int(re.search(r"^Pages:\s+(\d+)", info, re.MULTILINE).group(1))  # type: ignore[union-attr]
        text = subprocess.run(
            [shutil.which("pdftotext") or "pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True
        ).stdout
        converted[name] = (pages, text)
    return converted


def test_the_documents_open_in_libreoffice_with_plausible_page_counts(
    app: Flask, report_world: ReportWorld, tmp_path: Path
) -> None:
    kinds = generate.DocumentKind
    with app.app_context():
        audit = db.session.get(Audit, report_world.audit_id)
        lead = db.session.get(User, report_world.lead_id)
        reference = audit.reference
        documents = {kind.value: generate.draft(lead, audit, kind).data for kind in kinds}
        documents["nc-report"] = generate.nc_report(lead, next(iter(report_world.findings))).data
    converted = _convert(documents, tmp_path)
    # Cover, contents, summary, details, sampling, results with the chart, six findings, annexes: more than a
    # few pages, far fewer than a runaway table or a page per paragraph would make.
    expected = {
        kinds.AUDIT_REPORT.value: (6, 40),
        kinds.CERTIFICATION_REPORT.value: (4, 30),
        kinds.AUDIT_PLAN.value: (1, 10),
        kinds.CAPA_REGISTER.value: (1, 10),
        kinds.FIELDWORK_CHECKLIST.value: (2, 20),
        "nc-report": (1, 8),
    }
    for name, (low, high) in expected.items():
        pages, text = converted[name]
        assert low <= pages <= high, f"{name}: {pages} pages"
        assert f"Page 1 of {pages}" in text, name
        assert "DRAFT" in text or name == "nc-report", name
    assert reference in converted[kinds.AUDIT_REPORT.value][1]
    assert reference in converted[kinds.AUDIT_PLAN.value][1]
