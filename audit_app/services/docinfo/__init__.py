"""The documented-information register (ISO/IEC 42001 7.5): statuses, pre-fill, entries and their history."""
