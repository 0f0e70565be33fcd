"""Certification readiness: explicit stage 1 and stage 2 rules as of any day, the dashboard's panels, snapshots."""
