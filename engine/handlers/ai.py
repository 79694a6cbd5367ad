"""The `ai` handler: classify a text (or a row of features) with a model, and leave the why in the history.

Inputs (each may also come from the task's configuration; inputs win):
  provider        "sklearn" (a scikit-learn model: an ONNX file deployed with the process, or a pickle from
                  the operator's FUSE_TRUSTED_MODEL_DIR) or "openai" (any
                  OpenAI-compatible chat-completions endpoint: OpenAI, Ollama, vLLM, llama.cpp)
  text            what to classify; or `features`, a dict (or list) for tabular sklearn models
  labels          the allowed labels (list, or comma-separated); required for openai, optional check for sklearn
  sklearn:        model (file name of the deployed model), feature_names (order of `features` when the model
                  does not name them)
  openai:         base_url, model_name, api_key_secret (optional), timeout_s (default 30), system_prompt

Outputs: label (str), confidence (float 0..1), rationale (str), model (sklearn: `file@sha256[:12]`; openai: the
model name). The same, with the provider, is recorded as an `ai_inference` event; the text itself is not.
A malformed answer (unknown label, confidence outside 0..1) is a technical failure (ValueError), not a decision.
"""
from __future__ import annotations

import importlib
import math

from engine.handlers.base import HandlerContext

# Provider modules, imported on first use: the openai provider works without scikit-learn installed.
PROVIDERS = {
    "sklearn": "engine.handlers.ai_sklearn",
    "openai": "engine.handlers.ai_openai",
}


def handle(inputs: dict, context: HandlerContext) -> dict:
    """Classify with the configured provider; return and record label, confidence, rationale and model."""
    settings = {**context.config, **inputs}
    provider = settings.get("provider")
    if provider not in PROVIDERS:
        raise ValueError(f"ai: unknown provider {provider!r} (known: {', '.join(sorted(PROVIDERS))})")
    settings["labels"] = label_list(settings.get("labels"))
    outcome = importlib.import_module(PROVIDERS[provider]).classify(settings, context)
    outcome = checked_outcome(outcome, settings["labels"])
    context.record("ai_inference", {"provider": provider, **outcome})
    return outcome


def label_list(value) -> list[str]:
    """Allowed labels from a list or a comma-separated string (as task configuration gives them)."""
    if value is None or value == "":
        return []
    items = value.split(",") if isinstance(value, str) else list(value)
    return [str(item).strip() for item in items if str(item).strip()]


def checked_outcome(outcome: dict, labels: list[str]) -> dict:
    """The outcome with a string label among `labels` (when given) and a float confidence within 0..1."""
    label = outcome.get("label")
    if not isinstance(label, str) or not label:
        raise ValueError(f"ai: the model gave no label ({label!r})")
    if labels and label not in labels:
        raise ValueError(f"ai: label {label!r} is not one of the allowed labels {labels}")
    confidence = outcome.get("confidence")
    if isinstance(confidence, bool):
        raise ValueError(f"ai: confidence {confidence!r} is not a number")
    try:
        confidence = float(confidence)
    except (TypeError, ValueError):
        raise ValueError(f"ai: confidence {confidence!r} is not a number") from None
    if math.isnan(confidence) or not 0.0 <= confidence <= 1.0:
        raise ValueError(f"ai: confidence {confidence} is outside 0..1")
    rationale = outcome.get("rationale")
    return {"label": label, "confidence": confidence,
            "rationale": "" if rationale is None else str(rationale), "model": str(outcome["model"])}
