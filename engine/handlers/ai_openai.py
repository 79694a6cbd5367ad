"""The `ai` handler's openai provider: any OpenAI-compatible chat-completions endpoint (OpenAI, Ollama, vLLM,
llama.cpp server), asked in JSON mode for {"label", "confidence", "rationale"}.

The API key is read from a secret at call time and sent only in the Authorization header: it is never logged,
recorded, or put in an error message. The call keeps the rules of every outbound call (engine.handlers.outbound):
the endpoint's host must be in the operator's FUSE_OUTBOUND_ALLOW, `timeout_s` bounds the whole call, and the
answer's size is capped.
"""
from __future__ import annotations

import json

from engine.handlers import outbound
from engine.handlers.base import HandlerContext

DEFAULT_TIMEOUT_S = 30.0
DEFAULT_TASK = "You classify requests into exactly one of the allowed labels."
ANSWER_FORMAT = (
    "Allowed labels: {labels}.\n"
    "Answer with a JSON object only, with exactly these keys:\n"
    '"label": one of the allowed labels, spelled exactly as given;\n'
    '"confidence": a number from 0 to 1, how sure you are of the label;\n'
    '"rationale": one short sentence saying why.'
)


def classify(settings: dict, context: HandlerContext) -> dict:
    """Ask the chat model for a label among `labels`; its parsed answer, with the model name."""
    base_url = _required(settings, "base_url").rstrip("/")
    model_name = _required(settings, "model_name")
    labels = settings.get("labels")
    if not labels:
        raise ValueError("ai: the openai provider needs `labels`, the labels the model may answer")
    url = f"{base_url}/chat/completions"
    body = json.dumps(request_body(settings, model_name, labels)).encode()
    response = outbound.call("POST", url, _headers(settings, context), body,
                             float(settings.get("timeout_s") or DEFAULT_TIMEOUT_S))
    text = response.content.decode("utf-8", errors="replace")
    if response.status >= 400:
        raise RuntimeError(f"ai: {url} answered {response.status}: {text[:200]}")
    answer = parsed_answer(text)
    return {"label": answer.get("label"), "confidence": answer.get("confidence"),
            "rationale": answer.get("rationale", ""), "model": model_name}


def request_body(settings: dict, model_name: str, labels: list[str]) -> dict:
    """A deterministic JSON-mode chat request: the task and answer format as system message, the input as user's."""
    task = settings.get("system_prompt") or DEFAULT_TASK
    instructions = f"{task}\n\n{ANSWER_FORMAT.format(labels=json.dumps(labels))}"
    text = settings.get("text")
    if not (isinstance(text, str) and text.strip()):
        if settings.get("features") is None:
            raise ValueError("ai: give a non-empty `text` (or `features`) to classify")
        text = json.dumps(settings["features"], ensure_ascii=False, default=str)
    return {
        "model": model_name,
        "temperature": 0,
        "response_format": {"type": "json_object"},
        "messages": [{"role": "system", "content": instructions}, {"role": "user", "content": text}],
    }


def parsed_answer(text: str) -> dict:
    """The JSON object in the first choice's message of a chat-completions answer; ValueError for anything else."""
    try:
        content = json.loads(text)["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError):
        raise ValueError(f"ai: not a chat-completions answer: {text[:200]}") from None
    if not isinstance(content, str):
        raise ValueError(f"ai: the model's message has no text content: {content!r:.200}")
    try:
        # Some servers still wrap JSON mode answers in a Markdown code fence.
        answer = json.loads(content.strip().removeprefix("```json").removeprefix("```").removesuffix("```"))
    except ValueError:
        raise ValueError(f"ai: the model did not answer JSON: {content[:200]}") from None
    if not isinstance(answer, dict):
        raise ValueError(f"ai: the model's answer is not a JSON object: {content[:200]}")
    return answer


def _headers(settings: dict, context: HandlerContext) -> dict:
    """JSON headers, with a bearer key when `api_key_secret` names one (local servers usually need none)."""
    headers = {"Content-Type": "application/json"}
    if settings.get("api_key_secret"):
        headers["Authorization"] = f"Bearer {context.secret(settings['api_key_secret'])}"
    return headers


def _required(settings: dict, key: str) -> str:
    value = settings.get(key)
    if not value:
        raise ValueError(f"ai: the openai provider needs `{key}`")
    return str(value)
