"""Where the `ai` handler's model files come from, by format: data formats from the deployment, pickles only
from the operator's folder.

An ONNX file (`.onnx`) is data: it is deployed with the process like a form or a policy. A pickle (`.joblib`,
`.pkl`, `.pickle`) runs code when it is loaded, so it is never accepted from a deployment or a request; it is
read from the folder the operator names in FUSE_TRUSTED_MODEL_DIR, by its plain file name.
"""
from __future__ import annotations

import os
from pathlib import Path

TRUSTED_DIR_ENV = "FUSE_TRUSTED_MODEL_DIR"
PICKLE_SUFFIXES = (".joblib", ".pkl", ".pickle")
ONNX_SUFFIX = ".onnx"


def is_pickle(name: str) -> bool:
    return name.lower().endswith(PICKLE_SUFFIXES)


def is_onnx(name: str) -> bool:
    return name.lower().endswith(ONNX_SUFFIX)


def pickle_refusal(name: str) -> str:
    """Why a deployment cannot carry the pickle `name`, and the ways out."""
    return (f"{name} is a pickle, which runs code when it is loaded, so it cannot be deployed: convert the model "
            f"to ONNX (skl2onnx) and deploy the .onnx file, or have the operator put {name} in the folder "
            f"{TRUSTED_DIR_ENV} names and leave it out of the deployment")


def trusted_pickle(name: str) -> bytes:
    """The bytes of the pickle `name` in the operator's folder; ValueError when there is no folder, the name is
    not a plain file name, or the file is not there."""
    folder = os.environ.get(TRUSTED_DIR_ENV, "").strip()
    if not folder:
        raise ValueError(f"ai: {name} is a pickle; pickles are loaded only from the folder {TRUSTED_DIR_ENV} "
                         f"names, and it is not set (or deploy the model as .onnx)")
    if Path(name).name != name or name.startswith("."):
        raise ValueError(f"ai: {name!r} is not a plain file name in {TRUSTED_DIR_ENV}")
    path = Path(folder) / name
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ValueError(f"ai: cannot read {name} in {TRUSTED_DIR_ENV} ({folder}): {exc.strerror}") from None
