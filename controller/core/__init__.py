"""PURE decision logic: no kubernetes, minio, subprocess or network imports; `now` injected."""
