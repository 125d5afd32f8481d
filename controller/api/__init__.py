"""The Registry API: models, labels, and the CRD generated from the models (pure)."""
