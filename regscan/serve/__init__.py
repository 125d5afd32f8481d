"""`regscan serve`: the Harbor Scanner Adapter API v1.2 over regscan's scanner and store."""
