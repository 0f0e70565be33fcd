"""Report and documents pages: drafts on demand, the report settings, issuing, issued versions and their
verification, and the Word downloads from the finding page (nonconformity report) and the CAPA register."""
