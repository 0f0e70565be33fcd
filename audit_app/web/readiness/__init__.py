"""The readiness dashboard: stage 1 and stage 2 verdicts as of a day, the panels behind them, and snapshots."""
