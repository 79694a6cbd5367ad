"""An ONNX classifier for the `ai` handler's sklearn provider: a model file that is data, run by onnxruntime.

The file has one input (text as a string tensor, or numeric features as a float tensor) and the outputs
skl2onnx gives a classifier without ZipMap: the label, then the class probabilities. A linear model may also
output `contributions` ([classes, features]: weight times value) and name its features in the metadata
`feature_names` (a JSON list); then the rationale names the strongest evidence. samples/ai-confidence-loop/
train.py writes such files.

A file whose tensors point at external data is refused: onnxruntime would read that data from files on the
server (relative to its working directory), which a deployed file must not be able to name.
"""
from __future__ import annotations

import json

import numpy as np
import onnxruntime
from google.protobuf.message import DecodeError, Message
from onnx import ModelProto, TensorProto

EVIDENCE_TERMS = 5


class OnnxClassifier:
    """A loaded ONNX classifier: `feature_names` (from its metadata, or None) and `predict`."""

    def __init__(self, content: bytes):
        named = external_data_tensors(content)
        if named:
            raise ValueError(f"the model reads tensors from files on the server ({', '.join(named[:3])}): "
                             "embed them in the file")
        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3  # errors only: warnings about the graph are not the caller's business
        self.session = onnxruntime.InferenceSession(content, sess_options=options,
                                                    providers=["CPUExecutionProvider"])
        inputs = self.session.get_inputs()
        if len(inputs) != 1:
            raise ValueError(f"an ONNX classifier has one input, this one has {len(inputs)}")
        self.input = inputs[0]
        self.outputs = [output.name for output in self.session.get_outputs()]
        if len(self.outputs) < 2:
            raise ValueError("an ONNX classifier outputs a label and class probabilities")
        names = self.session.get_modelmeta().custom_metadata_map.get("feature_names")
        self.feature_names = json.loads(names) if names else None
        self.takes_text = "string" in self.input.type

    def predict(self, rows: list, feature_names: list[str] | None) -> tuple[str, float, str | None]:
        """Label, confidence (its probability) and the strongest evidence, for the first of `rows`."""
        results = dict(zip(self.outputs, self.session.run(None, {self.input.name: self._tensor(rows)}), strict=True))
        label = results[self.outputs[0]][0]
        probabilities = results[self.outputs[1]][0]
        if isinstance(probabilities, dict):  # a model converted with ZipMap: {class: probability}
            return str(label), float(max(probabilities.values())), None
        probabilities = np.asarray(probabilities, dtype=float)
        best = int(np.argmax(probabilities))
        evidence = self._evidence(results.get("contributions"), best, feature_names or self.feature_names)
        return str(label.decode() if isinstance(label, bytes) else label), float(probabilities[best]), evidence

    def _tensor(self, rows: list) -> np.ndarray:
        if self.takes_text:
            texts = np.array([str(row) for row in rows], dtype=object)
            return texts.reshape(-1, 1) if len(self.input.shape) == 2 else texts
        try:
            return np.asarray(rows, dtype=np.float32)
        except (TypeError, ValueError):
            raise ValueError(f"ai: the model takes numbers, not {rows[0]!r}") from None

    @staticmethod
    def _evidence(contributions, best: int, names: list[str] | None) -> str | None:
        if contributions is None or not names:
            return None
        weights = np.asarray(contributions, dtype=float)
        if weights.ndim != 2 or best >= weights.shape[0] or weights.shape[1] != len(names):
            return None
        row = weights[best]
        top = [i for i in np.argsort(-row)[:EVIDENCE_TERMS] if row[i] > 0]
        return ", ".join(f"'{names[i]}' (+{row[i]:.2f})" for i in top) or None


def external_data_tensors(content: bytes) -> list[str]:
    """The names of the tensors in an ONNX file that point at external data; ValueError if it is not ONNX."""
    try:
        model = ModelProto.FromString(content)
    except DecodeError:
        raise ValueError("not an ONNX file") from None
    return [tensor.name or "(unnamed)" for tensor in _tensors(model)
            if tensor.data_location == TensorProto.EXTERNAL or len(tensor.external_data)]


def _tensors(message: Message):
    # Every TensorProto anywhere in the model: initializers, sparse ones, attributes, subgraphs, functions.
    if isinstance(message, TensorProto):
        yield message
    for field, value in message.ListFields():
        if field.message_type is None:
            continue
        for item in [value] if isinstance(value, Message) else value:  # one message, or a repeated field
            if isinstance(item, Message):
                yield from _tensors(item)
