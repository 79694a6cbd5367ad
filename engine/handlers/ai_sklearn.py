"""The `ai` handler's sklearn provider: a scikit-learn model, as an ONNX file deployed with the process or as a
pickle from the operator's folder.

An `.onnx` file (what skl2onnx makes of a fitted estimator, see engine.handlers.ai_onnx) is data and is read from
the deployment. A joblib or pickle dump of a fitted estimator with `predict_proba` (usually a Pipeline such as
TfidfVectorizer + LogisticRegression) runs code when loaded, so it is read only from FUSE_TRUSTED_MODEL_DIR
(engine.handlers.model_files). A model's version is its file name and the first 12 hex digits of its sha256.
"""
from __future__ import annotations

import hashlib
import io
import threading
import warnings
from collections import OrderedDict

import joblib
import numpy as np
from sklearn.pipeline import Pipeline

from engine.handlers import model_files
from engine.handlers.ai_onnx import OnnxClassifier
from engine.handlers.base import HandlerContext

CACHE_SIZE = 8
EVIDENCE_TERMS = 5
# Loaded models by the sha256 of their file: a redeployed file with new content is loaded afresh, the same bytes
# deployed under any name or version are loaded once. Dropping the cache only costs a reload.
_models: OrderedDict[str, object] = OrderedDict()
_models_lock = threading.Lock()


def classify(settings: dict, context: HandlerContext) -> dict:
    """Label, confidence (the highest class probability), rationale and model version for one text or row."""
    name = settings.get("model")
    if not name:
        raise ValueError("ai: the sklearn provider needs `model`, the file name of a model deployed with the process")
    content = model_content(name, context)
    digest = hashlib.sha256(content).hexdigest()
    version = f"{name}@{digest[:12]}"
    model = loaded_model(content, digest, name)
    rows, feature_names = model_rows(settings, model)
    label, confidence, evidence = model.predict(rows, feature_names)
    rationale = f"{label} with probability {confidence:.2f} from {version}"
    rationale += f"; strongest evidence: {evidence}" if evidence else ""
    return {"label": label, "confidence": confidence, "rationale": rationale, "model": version}


def model_content(name: str, context: HandlerContext) -> bytes:
    """The model file's bytes: an ONNX file from the deployment, a pickle from the operator's folder only."""
    if model_files.is_pickle(name):
        return model_files.trusted_pickle(name)
    if not model_files.is_onnx(name):
        raise ValueError(f"ai: {name} is not a model file Fuse reads (.onnx, or a pickle from "
                         f"{model_files.TRUSTED_DIR_ENV})")
    return context.resource(name)


def loaded_model(content: bytes, digest: str, name: str):
    """The model in `content`, from the cache when the same bytes were loaded before."""
    with _models_lock:
        if digest in _models:
            _models.move_to_end(digest)
            return _models[digest]
        model = OnnxModel(content, name) if model_files.is_onnx(name) else PickledModel(content, name)
        _models[digest] = model
        while len(_models) > CACHE_SIZE:
            _models.popitem(last=False)
        return model


class OnnxModel(OnnxClassifier):
    """An ONNX classifier, with the handler's error for a file onnxruntime cannot load."""

    def __init__(self, content: bytes, name: str):
        try:
            super().__init__(content)
        except Exception as exc:  # onnxruntime raises its own kinds for a broken file
            raise ValueError(f"ai: {name} is not a loadable model file: {exc}") from None


class PickledModel:
    """A scikit-learn estimator unpickled from the operator's folder (never from a deployment or a request)."""

    def __init__(self, content: bytes, name: str):
        try:
            # Unpickling runs code from the file: acceptable only because the operator put it in
            # FUSE_TRUSTED_MODEL_DIR, as they install the server's own code.
            self.estimator = joblib.load(io.BytesIO(content))
        except Exception as exc:  # unpickling raises whatever the broken file leads it to
            raise ValueError(f"ai: {name} is not a loadable model file: {exc}") from exc
        if not hasattr(self.estimator, "predict_proba"):
            raise ValueError(f"ai: the model in {name} ({type(self.estimator).__name__}) has no predict_proba")
        names = getattr(self.estimator, "feature_names_in_", None)
        self.feature_names = list(names) if names is not None else None

    def predict(self, rows: list, feature_names: list[str] | None) -> tuple[str, float, str | None]:
        """Label, confidence (its probability) and the strongest evidence, for the first of `rows`."""
        model = self.estimator
        with warnings.catch_warnings():
            # A list of values for a model fitted on a named table: the order was taken from its names already.
            warnings.filterwarnings("ignore", message="X does not have valid feature names")
            probabilities = model.predict_proba(rows)[0]
            best = int(np.argmax(probabilities))
            evidence = strongest_evidence(model, rows, best, feature_names)
        return str(model.classes_[best]), float(probabilities[best]), evidence


def model_rows(settings: dict, model) -> tuple[list, list[str] | None]:
    """The model's input for one prediction, and the feature names of a tabular row (None for a text)."""
    text = settings.get("text")
    if isinstance(text, str) and text.strip():
        return [text], None
    features = settings.get("features")
    names = settings.get("feature_names")
    names = names.split(",") if isinstance(names, str) else names  # task configuration gives strings
    names = [str(name).strip() for name in names] if names else None
    if isinstance(features, (list, tuple)):
        return [list(features)], names
    if isinstance(features, dict):
        if names is None and model.feature_names:
            names = list(model.feature_names)
        if not names:
            raise ValueError("ai: the model does not name its features; give `feature_names` in the order it expects")
        missing = [name for name in names if name not in features]
        if missing:
            raise ValueError(f"ai: features {missing} are missing")
        return [[features[name] for name in names]], list(names)
    raise ValueError("ai: give a non-empty `text`, or `features` for a tabular model")


def strongest_evidence(model, rows: list, class_index: int, feature_names: list[str] | None) -> str | None:
    """The terms (or features) that weigh most for the class in a linear model, e.g. "'refund' (+1.52)"; None
    when the model is not linear or its features cannot be named."""
    final = model.steps[-1][1] if isinstance(model, Pipeline) else model
    coef = getattr(final, "coef_", None)
    if coef is None:
        return None
    try:
        if isinstance(model, Pipeline) and len(model.steps) > 1:
            front = model[:-1]
            values, names = front.transform(rows), list(front.get_feature_names_out())
        else:
            values = np.asarray(rows, dtype=float)
            names = list(feature_names or getattr(final, "feature_names_in_", []))
    except (AttributeError, TypeError, ValueError):
        return None
    values = np.asarray(values.toarray() if hasattr(values, "toarray") else values, dtype=float)[0]
    coef = np.asarray(coef)
    # A binary linear model has one row of weights, for classes_[1]; classes_[0] is its negative.
    weights = coef[class_index] if coef.shape[0] > 1 else (coef[0] if class_index == 1 else -coef[0])
    if len(names) != len(weights) or len(values) != len(weights):
        return None
    contributions = values * weights
    top = [i for i in np.argsort(-contributions)[:EVIDENCE_TERMS] if contributions[i] > 0]
    return ", ".join(f"'{names[i]}' (+{contributions[i]:.2f})" for i in top) or None
