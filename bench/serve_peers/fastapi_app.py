"""FastAPI peer for bench:serve, run by uvicorn: `uvicorn fastapi_app:app --workers 2`.

Answers TF Serving's REST predict, as `kiln serve` does: POST /v1/models/cars:predict
{"instances": [record, ...]} → {"predictions": [x, ...]}. The model is the pickle named by
$KILN_BENCH_MODEL (written by train_cars.py).
"""
import os
import pickle

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from cars_pipeline import predict_records

with open(os.environ["KILN_BENCH_MODEL"], "rb") as f:
    PIPELINE = pickle.load(f)
MODEL = os.environ.get("KILN_BENCH_NAME", "cars")

app = FastAPI()


# async: scikit-learn holds the worker for ~2 ms either way, and a sync route would add a
# thread-pool hop per request; the 2 worker processes are the parallelism.
@app.post("/v1/models/{name}:predict")
async def predict(name: str, request: Request):
    if name != MODEL:
        return JSONResponse({"error": f'model "{name}" not found'}, status_code=404)
    try:
        body = await request.json()
        instances = body["instances"]
        return {"predictions": predict_records(PIPELINE, instances)}
    except (ValueError, KeyError, TypeError) as e:
        return JSONResponse({"error": str(e).splitlines()[0] if str(e) else type(e).__name__}, status_code=400)
