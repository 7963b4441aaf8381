"""The cars pipeline of `kiln init --model mlp`, in scikit-learn, shared by the trainer and both peers.

Same steps as bench/sklearn_parity.py: ISO dates → epoch ms (Kiln's schema inference does the
same), median-impute + standard-scale the numeric fields, one-hot the categorical ones, MLP 64-32.
The date step sits inside the pickled pipeline so that a peer's request handler is only
`pipeline.predict(DataFrame(instances))`, raw records in, as Kiln's package takes them.
"""
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

DATE_FIELDS = ["Year"]
NUMERIC = ["Cylinders", "Displacement", "Horsepower", "Weight_in_lbs", "Acceleration", "Year"]
CATEGORICAL = ["Origin"]


def dates_to_epoch_ms(df: pd.DataFrame) -> pd.DataFrame:
    """Vega's ISO date strings → epoch milliseconds, as Kiln parses date columns."""
    df = df.copy()
    for c in DATE_FIELDS:
        df[c] = pd.to_datetime(df[c], utc=True).astype("int64") // 10**6
    return df


def build_pipeline() -> Pipeline:
    """Unfitted pipeline: the columns it reads are named, so extra record fields (Name, the target) are dropped."""
    pre = ColumnTransformer([
        ("num", Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())]), NUMERIC),
        ("cat", Pipeline([("impute", SimpleImputer(strategy="most_frequent")), ("onehot", OneHotEncoder(handle_unknown="ignore"))]), CATEGORICAL),
    ])
    # Same hyper-parameters as bench/sklearn_parity.py's MLP.
    model = MLPRegressor(hidden_layer_sizes=(64, 32), learning_rate_init=0.003, max_iter=300, early_stopping=True,
                         validation_fraction=0.1, n_iter_no_change=30, random_state=42, batch_size=32)
    return Pipeline([("dates", FunctionTransformer(dates_to_epoch_ms)), ("pre", pre), ("model", model)])


def predict_records(pipeline: Pipeline, instances: list) -> list:
    """TF Serving `instances` (raw records) → `predictions` (plain floats)."""
    return [float(p) for p in pipeline.predict(pd.DataFrame.from_records(instances))]
