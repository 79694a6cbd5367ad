"""Train the request classifier of this sample from requests.csv and write it as ONNX, classifier.onnx.

    .venv/bin/python samples/ai-confidence-loop/train.py [--data requests.csv] [--out classifier.onnx]

ONNX is data, not code: Fuse accepts it in a deployment, where a pickle (.joblib) is refused. The conversion
needs skl2onnx, a development dependency (`pip install -e '.[dev]'`); the server needs only onnxruntime.

The accuracy printed is measured on a held-out quarter of the data; the model written is then refitted on all
rows, so examples fed back by the human review (appended to requests.csv) are learnt the next time this runs.
Everything is seeded: the same CSV gives the same model file.
"""
from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

import numpy as np
import sklearn
from onnx import helper, numpy_helper
from skl2onnx import to_onnx
from skl2onnx.common.data_types import FloatTensorType, StringTensorType
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline

HERE = Path(__file__).resolve().parent
SEED = 42


def read_examples(path: Path) -> tuple[list[str], list[str]]:
    """The (texts, labels) of a CSV with `text` and `label` columns."""
    with path.open(newline="", encoding="utf-8") as file:
        rows = [row for row in csv.DictReader(file) if row["text"].strip() and row["label"].strip()]
    return [row["text"].strip() for row in rows], [row["label"].strip() for row in rows]


def new_pipeline() -> Pipeline:
    """Word and word-pair TF-IDF into a logistic regression (C=10: sharper probabilities on little data)."""
    return Pipeline([
        ("tfidf", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, lowercase=True)),
        ("classifier", LogisticRegression(C=10.0, max_iter=2000, random_state=SEED)),
    ])


def held_out_accuracy(texts: list[str], labels: list[str]) -> tuple[float, int]:
    """Accuracy of a pipeline fitted on 75% of the examples, measured on the other 25% (stratified)."""
    train_x, test_x, train_y, test_y = train_test_split(
        texts, labels, test_size=0.25, random_state=SEED, stratify=labels)
    model = new_pipeline().fit(train_x, train_y)
    return accuracy_score(test_y, model.predict(test_x)), len(test_y)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=HERE / "requests.csv")
    parser.add_argument("--out", type=Path, default=HERE / "classifier.onnx")
    args = parser.parse_args()

    texts, labels = read_examples(args.data)
    accuracy, tested = held_out_accuracy(texts, labels)
    print(f"{len(texts)} examples, labels {sorted(set(labels))}")
    print(f"held-out accuracy: {accuracy:.3f} on {tested} examples")

    model = new_pipeline().fit(texts, labels)
    args.out.write_bytes(onnx_bytes(model))
    print(f"wrote {args.out} ({args.out.stat().st_size} bytes, scikit-learn {sklearn.__version__})")


def onnx_bytes(model, feature_names: list[str] | None = None) -> bytes:
    """`model` (a TF-IDF text pipeline, or a classifier of numeric features) as an ONNX file for the `ai`
    handler: outputs `label` and `probabilities`, and for a linear model also `contributions` (each feature's
    weight times its value, per class), with the features' names in the metadata, for the rationale's evidence."""
    final = model.steps[-1][1] if isinstance(model, Pipeline) else model
    is_text = isinstance(model, Pipeline) and isinstance(model.steps[0][1], TfidfVectorizer)
    if is_text:
        inputs, names = [("text", StringTensorType([None, 1]))], list(model[:-1].get_feature_names_out())
    else:
        names = list(feature_names or getattr(final, "feature_names_in_", []))
        inputs = [("features", FloatTensorType([None, final.n_features_in_]))]
    onx = to_onnx(model, initial_types=inputs, options={id(final): {"zipmap": False}})
    for node in onx.graph.node:
        if node.op_type == "StringNormalizer":
            # onnxruntime would otherwise ask for en_US.UTF-8, which many servers do not have.
            node.attribute.append(helper.make_attribute("locale", "C"))
    if hasattr(final, "coef_"):
        _add_contributions(onx, final)
    helper.set_model_props(onx, {"feature_names": json.dumps(names), "classes": json.dumps(
        [str(c) for c in final.classes_])})
    return onx.SerializeToString()


def _add_contributions(onx, final) -> None:
    """An output `contributions` [classes, features]: the input of the linear classifier times its weights."""
    [linear] = [node for node in onx.graph.node if node.op_type == "LinearClassifier"]
    coef = np.asarray(final.coef_, dtype=np.float32)
    weights = coef if coef.shape[0] > 1 else np.vstack([-coef[0], coef[0]])  # binary: one row, for classes_[1]
    onx.graph.initializer.append(numpy_helper.from_array(weights, name="fuse_weights"))
    onx.graph.node.append(helper.make_node("Mul", [linear.input[0], "fuse_weights"], ["contributions"]))
    onx.graph.output.append(helper.make_tensor_value_info("contributions", 1, None))  # 1: float


if __name__ == "__main__":
    main()
