"""Python client for ner.v1.NerService."""
