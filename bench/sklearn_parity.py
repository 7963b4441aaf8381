"""scikit-learn side of bench/parity.ts: the pipeline `kiln init` writes, fitted on the same rows."""
import json, sys, time
import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.metrics import accuracy_score, f1_score, log_loss, mean_absolute_error, mean_squared_error, r2_score, roc_auc_score
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

spec = json.load(open(sys.argv[1]))
df = pd.read_json(spec["path"]) if spec["path"].endswith(".json") else pd.read_csv(spec["path"])
target = spec["target"]
df = df.drop(columns=spec["drop"])
for c in df.columns:
    if c != target and df[c].dtype == object:
        # vega's ISO date strings → epoch ms, as Kiln's schema inference does
        try:
            df[c] = pd.to_datetime(df[c], utc=True).astype("int64") // 10**6
        except (ValueError, TypeError):
            pass
train, test = df.iloc[spec["train"]], df.iloc[spec["test"]]
train = train[train[target].notna()]
test = test[test[target].notna()]
X_cols = [c for c in df.columns if c != target]
cat = [c for c in X_cols if df[c].dtype == object]
num = [c for c in X_cols if c not in cat]
pre = ColumnTransformer([
    ("num", Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())]), num),
    ("cat", Pipeline([("impute", SimpleImputer(strategy="most_frequent")), ("onehot", OneHotEncoder(handle_unknown="ignore"))]), cat),
])
reg = spec["task"] == "regression"
if spec["model"] == "linear":
    model = LinearRegression() if reg else LogisticRegression(max_iter=2000)
else:
    kw = dict(hidden_layer_sizes=(64, 32), learning_rate_init=0.003, max_iter=300, early_stopping=True, validation_fraction=0.1, n_iter_no_change=30, random_state=42, batch_size=32)
    model = MLPRegressor(**kw) if reg else MLPClassifier(**kw)
pipe = Pipeline([("pre", pre), ("model", model)])
t0 = time.time()
pipe.fit(train[X_cols], train[target])
secs = time.time() - t0
if reg:
    p = pipe.predict(test[X_cols]); y = test[target].to_numpy()
    nz = np.abs(y) > 1e-12
    m = dict(r2=r2_score(y, p), rmse=mean_squared_error(y, p) ** 0.5, mae=mean_absolute_error(y, p), mape=float(np.mean(np.abs((y[nz] - p[nz]) / y[nz]))))
else:
    proba = pipe.predict_proba(test[X_cols]); pred = pipe.predict(test[X_cols]); y = test[target]
    m = dict(accuracy=accuracy_score(y, pred), f1_macro=f1_score(y, pred, average="macro"), auc=roc_auc_score(y, proba, multi_class="ovr", labels=pipe.classes_) if len(pipe.classes_) > 2 else roc_auc_score(y, proba[:, 1]), logloss=log_loss(y, proba, labels=pipe.classes_))
print(json.dumps(dict(metrics=m, seconds=secs)))
