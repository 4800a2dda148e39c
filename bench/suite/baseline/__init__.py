"""The FastAPI baseline: spaCy behind `POST /predict`, deployed the way tutorials show."""
