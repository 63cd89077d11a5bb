"""Ask's optional generative answer: an OpenAI-compatible chat API that the host runs (llama.cpp,
vLLM, ...), set with PAPERWIRE_LLM_URL; without it nothing is sent anywhere.

The prompt holds only the question and the extractive answer's evidence sentences, each under its
id (`[E1]`, ...). The model must cite those ids; its answer is then checked sentence by sentence:
ids that are not evidence ids are removed (and listed as `invented`), and a sentence left
without any real citation is removed (and listed as `uncited`). A timeout, an HTTP or network
error, a malformed reply or an answer with nothing cited falls back to the extractive answer,
with the reason.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from paperwire.errors import PaperwireError
from paperwire.search.sentences import split_sentences
from paperwire.settings import Settings

log = logging.getLogger(__name__)

MAX_ANSWER_CHARS = 6000
SYSTEM_PROMPT = (
    "You answer questions about research papers using only the numbered evidence sentences "
    "you are given, never other knowledge. End every sentence of your answer with the ids of "
    "the evidence it rests on, in square brackets, for example [E1] or [E2][E3]. If the "
    "evidence does not answer the question, say so in one sentence citing the closest "
    "evidence. At most five sentences."
)
_CITES = re.compile(r"\[\s*([A-Za-z]*\d+(?:\s*[,;]\s*[A-Za-z]*\d+)*)\s*\]")
_LEADING_CITES = re.compile(rf"^(?:\s*{_CITES.pattern})+")


class GenerationError(PaperwireError):
    """The chat API did not give a usable answer (the extractive answer stands)."""

    http_status = 502


@dataclass(frozen=True)
class ChatConfig:
    url: str
    model: str
    api_key: str | None
    timeout: float

    @classmethod
    def from_settings(cls, settings: Settings) -> ChatConfig | None:
        """The chat API the host configured, or None (no generative answers)."""
        if not settings.llm_url:
            return None
        return cls(
            settings.llm_url.rstrip("/"),
            settings.llm_model,
            settings.llm_api_key,
            settings.llm_timeout,
        )


def build_messages(question: str, evidence: Sequence[dict[str, Any]]) -> list[dict[str, str]]:
    """The chat messages: the rules, then the question and the evidence, nothing else."""
    lines = [f"Question: {question.strip()}", "", "Evidence:"]
    for e in evidence:
        lines.append(f"[{e['eid']}] ({e.get('title', '')}) {e['sentence']}")
    return [
        {"role": "system", "content": SYSTEM_PROMPT},
        {"role": "user", "content": "\n".join(lines)},
    ]


def _request(config: ChatConfig, messages: list[dict[str, str]], stream: bool) -> dict[str, Any]:
    headers = {"Content-Type": "application/json"}
    if config.api_key:
        headers["Authorization"] = f"Bearer {config.api_key}"
    body = {"model": config.model, "messages": messages, "temperature": 0, "stream": stream}
    return {"url": f"{config.url}/chat/completions", "headers": headers, "json": body}


def chat(config: ChatConfig, messages: list[dict[str, str]]) -> str:
    """One complete (non-streamed) answer."""
    try:
        with httpx.Client(timeout=config.timeout) as client:
            response = client.post(**_request(config, messages, stream=False))
            response.raise_for_status()
            return str(response.json()["choices"][0]["message"]["content"] or "")[:MAX_ANSWER_CHARS]
    except httpx.TimeoutException as exc:
        raise GenerationError(f"the language model took longer than {config.timeout:g} s") from exc
    except (httpx.HTTPError, ValueError, KeyError, IndexError, TypeError) as exc:
        raise GenerationError(f"the language model failed: {_short(exc)}") from exc


def chat_stream(config: ChatConfig, messages: list[dict[str, str]]) -> Iterator[str]:
    """The answer as it is written: text pieces from the API's server-sent events."""
    deadline = time.monotonic() + 4 * config.timeout  # a slow trickle must end too
    written = 0
    try:
        with (
            httpx.Client(timeout=config.timeout) as client,
            client.stream("POST", **_request(config, messages, stream=True)) as response,
        ):
            response.raise_for_status()
            for line in response.iter_lines():
                if time.monotonic() > deadline:
                    raise GenerationError("the language model took too long to finish")
                piece = _sse_piece(line)
                if piece is None:
                    break
                if piece:
                    written += len(piece)
                    if written > MAX_ANSWER_CHARS:
                        break
                    yield piece
    except httpx.TimeoutException as exc:
        raise GenerationError(f"the language model took longer than {config.timeout:g} s") from exc
    except (httpx.HTTPError, ValueError, KeyError, IndexError, TypeError) as exc:
        raise GenerationError(f"the language model failed: {_short(exc)}") from exc


def _sse_piece(line: str) -> str | None:
    """The text in one SSE line ("" for lines without text); None at `data: [DONE]`."""
    if not line.startswith("data:"):
        return ""
    data = line[5:].strip()
    if data == "[DONE]":
        return None
    choice = json.loads(data)["choices"][0]
    return str((choice.get("delta") or {}).get("content") or "")


def _short(exc: Exception) -> str:
    if isinstance(exc, httpx.HTTPStatusError):
        return f"HTTP {exc.response.status_code}"
    return type(exc).__name__ if not str(exc) else f"{type(exc).__name__}: {str(exc)[:200]}"


# --- checking the citations -----------------------------------------------------------------


def _ids(group: str) -> list[str]:
    return [i.strip().upper() for i in re.split(r"[,;]", group) if i.strip()]


def check_citations(text: str, valid: Sequence[str]) -> dict[str, Any]:
    """The answer with every citation checked against the evidence ids `valid`: segments
    (`text` without citations, `cites` that are real), what was `invented` and what was
    `uncited` (removed sentences)."""
    sentences = [s.text for s in split_sentences(text.strip())]
    # "... claim. [E1]" : citations opening a sentence belong to the one before.
    for n in range(1, len(sentences)):
        lead = _LEADING_CITES.match(sentences[n])
        if lead:
            sentences[n - 1] += " " + lead[0].strip()
            sentences[n] = sentences[n][lead.end() :].strip()
    known = set(valid)
    segments, invented, uncited = [], [], []
    for sentence in filter(None, sentences):
        cited = [i for g in _CITES.findall(sentence) for i in _ids(g)]
        invented += [i for i in cited if i not in known]
        real = list(dict.fromkeys(i for i in cited if i in known))
        clean = re.sub(r"\s+([.,;:!?])", r"\1", _CITES.sub("", sentence)).strip()
        clean = re.sub(r"\s{2,}", " ", clean)
        if real and clean:
            segments.append({"text": clean, "cites": real})
        elif clean:
            uncited.append(clean)
    return {
        "segments": segments,
        "text": " ".join(f"{s['text']} " + "".join(f"[{c}]" for c in s["cites"]) for s in segments),
        "invented": sorted(set(invented)),
        "uncited": uncited,
    }


# --- the answer, whole or streamed ---------------------------------------------------------


def _evidence(answer: dict[str, Any]) -> list[dict[str, Any]]:
    titles = {p["id"]: p["title"] for p in answer.get("papers", [])}
    return [e | {"title": titles.get(e["paper_id"], "")} for e in answer.get("evidence", [])]


def _fallback(reason: str) -> dict[str, Any]:
    return {"status": "fallback", "reason": reason}


def _checked(text: str, evidence: list[dict[str, Any]]) -> dict[str, Any]:
    checked = check_citations(text, [e["eid"] for e in evidence])
    if not checked["segments"]:
        return _fallback("the language model's answer cited none of the evidence") | checked
    return {"status": "ok", "reason": ""} | checked


def generate(config: ChatConfig, answer: dict[str, Any]) -> dict[str, Any]:
    """The checked generative answer for an extractive `answer` (from `ask`), or a fallback."""
    evidence = _evidence(answer)
    if not evidence:
        return _fallback("no evidence to answer from")
    try:
        text = chat(config, build_messages(answer["question"], evidence))
    except GenerationError as exc:
        log.warning("generative answer failed: %s", exc)
        return _fallback(str(exc))
    return _checked(text, evidence)


def generate_events(config: ChatConfig, answer: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """("token", text piece) while the model writes, then ("answer", the checked answer) or
    ("fallback", reason): what the page streams."""
    evidence = _evidence(answer)
    if not evidence:
        yield "fallback", _fallback("no evidence to answer from")
        return
    text = ""
    try:
        for piece in chat_stream(config, build_messages(answer["question"], evidence)):
            text += piece
            yield "token", piece
    except GenerationError as exc:
        log.warning("generative answer failed: %s", exc)
        yield "fallback", _fallback(str(exc))
        return
    if not text.strip():
        yield "fallback", _fallback("the language model sent an empty answer")
        return
    result = _checked(text, evidence)
    yield ("answer" if result["status"] == "ok" else "fallback"), result
