"""The documented-information register pages (/documents-register/)."""
