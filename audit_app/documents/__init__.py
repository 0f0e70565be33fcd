"""Word documents: the audit report, its certification-style variant, the audit plan, nonconformity reports, the
CAPA register and the blank fieldwork checklist.

Builders take plain data gathered by services (`audit_app.services.reports`) and a template's bytes, and return
the document's bytes. They never import the web layer and never query the database themselves. Every user text
reaches python-docx through `wordsafe.word_text` (via `ReportDocument`), and every style they use is listed in
`styles.REQUIRED_STYLES` so a branded template can be checked before it is used.
"""
