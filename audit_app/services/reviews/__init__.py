"""Management reviews (ISO/IEC 42001 9.3): inputs, status as of a date, records, actions and the input pack."""
