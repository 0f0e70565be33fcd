"""Use cases: the rules of the domain. Services never commit; their caller does."""
