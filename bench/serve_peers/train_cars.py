"""Fits bench/serve_peers' cars pipeline on the exact rows Kiln trained on and pickles it.

argv[1]: a JSON spec written by bench/serve.ts:
  {"path": cars.json, "target": "Miles_per_Gallon", "train": [row indices], "test": [row indices], "out": model.pkl}
Prints one JSON line: rows, fit seconds, test metrics (for the side-by-side with Kiln's).
"""
import json
import pickle
import sys
import time

import numpy as np
import pandas as pd
from sklearn.metrics import mean_squared_error, r2_score

from cars_pipeline import build_pipeline, predict_records

spec = json.load(open(sys.argv[1]))
df = pd.read_json(spec["path"], convert_dates=False)
target = spec["target"]
train, test = df.iloc[spec["train"]], df.iloc[spec["test"]]
# Kiln's train node skips rows whose target is missing; so does this fit.
train = train[train[target].notna()]
test = test[test[target].notna()]
pipe = build_pipeline()
t0 = time.time()
pipe.fit(train.drop(columns=[target]), train[target])
secs = time.time() - t0
y = test[target].to_numpy()
p = np.array(predict_records(pipe, test.drop(columns=[target]).to_dict("records")))
with open(spec["out"], "wb") as f:
    pickle.dump(pipe, f)
print(json.dumps({"rows": len(train), "seconds": secs, "r2": r2_score(y, p), "rmse": mean_squared_error(y, p) ** 0.5}))
