"""The FastAPI baseline, as tutorials deploy spaCy: `POST /predict` calls `nlp(text)`.

Each uvicorn worker loads the full pipeline (every component) for itself and tags one text per
request. Run it as the benchmark does:

    uvicorn bench.suite.baseline.app:app --workers 2 --port 8000

`BENCH_BASELINE_PIPELINE=ner` loads only the entity recognizer instead.

Backs docs/benchmarks.md: the FastAPI baseline rows.
"""

from __future__ import annotations

import os

from fastapi import FastAPI
from ner_server.worker.loading import load_pipeline
from pydantic import BaseModel

nlp = load_pipeline(
    os.environ.get("BENCH_BASELINE_MODEL", "en_core_web_md"),
    os.environ.get("BENCH_BASELINE_PIPELINE", "full"),
    matmul="blis",  # spaCy as it comes, as such an app runs it
)
app = FastAPI(title="spaCy NER baseline")


class PredictRequest(BaseModel):
    text: str


class Entity(BaseModel):
    text: str
    label: str
    start_char: int
    end_char: int


class PredictResponse(BaseModel):
    entities: list[Entity]


@app.post("/predict")
def predict(request: PredictRequest) -> PredictResponse:
    doc = nlp(request.text)
    return PredictResponse(
        entities=[
            Entity(text=ent.text, label=ent.label_, start_char=ent.start_char, end_char=ent.end_char)
            for ent in doc.ents
        ]
    )


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}
