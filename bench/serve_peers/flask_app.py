"""Flask peer for bench:serve, run by gunicorn: `gunicorn -w 2 -k sync flask_app:app`.

Answers TF Serving's REST predict, as `kiln serve` does: POST /v1/models/cars:predict
{"instances": [record, ...]} → {"predictions": [x, ...]}. The model is the pickle named by
$KILN_BENCH_MODEL (written by train_cars.py).
"""
import os
import pickle

from flask import Flask, jsonify, request

from cars_pipeline import predict_records

with open(os.environ["KILN_BENCH_MODEL"], "rb") as f:
    PIPELINE = pickle.load(f)
MODEL = os.environ.get("KILN_BENCH_NAME", "cars")

app = Flask(__name__)


@app.post("/v1/models/<name>:predict")
def predict(name):
    if name != MODEL:
        return jsonify(error=f'model "{name}" not found'), 404
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or "instances" not in body:
        return jsonify(error='body: expected {"instances": [...]}'), 400
    try:
        return jsonify(predictions=predict_records(PIPELINE, body["instances"]))
    except (ValueError, KeyError, TypeError) as e:
        return jsonify(error=str(e).splitlines()[0] if str(e) else type(e).__name__), 400
