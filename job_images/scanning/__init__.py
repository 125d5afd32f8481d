"""Scanning: scanner adapters, normalized reports, SARIF, policy and the scan run."""
