"""The Statement of Applicability: status for readiness (status.py), versions and entries (versions.py), comparing
versions (compare.py) and the exports (export.py)."""
