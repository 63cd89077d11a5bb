"""Ask's generative answer against a real HTTP server on 127.0.0.1 replaying recorded
OpenAI-style chat-completions responses (whole and streamed): the prompt holds only the
evidence, citations are checked (invented ids and uncited sentences removed and flagged), and
timeouts and errors fall back to the extractive answer."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from paperwire.search.generate import (
    ChatConfig,
    build_messages,
    check_citations,
    generate,
    generate_events,
)
from paperwire.settings import Settings
from tests.support.httpserver import RecordedServer, Reply

pytestmark = pytest.mark.network_local
RECORDED = Path(__file__).parent / "llm"
ANSWER = {
    "question": "which methods shrink the KV cache without retraining?",
    "evidence": [
        {"eid": "E1", "paper_id": "2502.00001", "sentence": "We quantise the KV cache to 2 bits."},
        {"eid": "E2", "paper_id": "2502.00001", "sentence": "No retraining is needed."},
    ],
    "papers": [{"id": "2502.00001", "title": "Serving LLMs"}],
}


def recorded(name: str, **kw: object) -> Reply:
    body = (RECORDED / name).read_bytes()
    if name.endswith(".sse"):
        parts = [p + b"\n\n" for p in body.split(b"\n\n") if p]
        return Reply(200, headers={"Content-Type": "text/event-stream"}, chunks=parts, **kw)  # type: ignore[arg-type]
    return Reply(200, body, {"Content-Type": "application/json"}, **kw)  # type: ignore[arg-type]


@pytest.fixture
def served() -> Iterator[tuple[RecordedServer, dict[str, Reply]]]:
    replies: dict[str, Reply] = {}
    with RecordedServer(lambda path, query: replies["next"]) as server:
        yield server, replies


def config(server: RecordedServer, timeout: float = 5.0) -> ChatConfig:
    return ChatConfig(f"{server.url}/v1", "recorded", "secret", timeout)


def test_nothing_is_configured_by_default() -> None:
    assert ChatConfig.from_settings(Settings()) is None
    chat = ChatConfig.from_settings(Settings(llm_url="http://127.0.0.1:9/v1/", llm_model="m"))
    assert chat is not None and chat.url == "http://127.0.0.1:9/v1" and chat.model == "m"


def test_the_prompt_holds_only_the_evidence(served: tuple[RecordedServer, dict]) -> None:
    server, replies = served
    replies["next"] = recorded("chat.json")
    result = generate(config(server), ANSWER)
    assert server.requests[0][0] == "/v1/chat/completions"
    sent = json.loads(server.bodies[0])
    assert sent["model"] == "recorded" and sent["stream"] is False
    user = sent["messages"][1]["content"]
    assert user == (
        "Question: which methods shrink the KV cache without retraining?\n\nEvidence:\n"
        "[E1] (Serving LLMs) We quantise the KV cache to 2 bits.\n"
        "[E2] (Serving LLMs) No retraining is needed."
    )
    assert sent["messages"] == build_messages(ANSWER["question"], [
        e | {"title": "Serving LLMs"} for e in ANSWER["evidence"]
    ])  # fmt: skip
    assert result["status"] == "ok" and result["invented"] == [] and result["uncited"] == []
    assert [s["cites"] for s in result["segments"]] == [["E1"], ["E1", "E2"]]
    assert result["segments"][0]["text"] == (
        "The evidence points to quantising the cached keys and values."
    )


def test_invented_and_missing_citations_are_removed(served: tuple[RecordedServer, dict]) -> None:
    server, replies = served
    replies["next"] = recorded("chat_invented.json")
    result = generate(config(server), ANSWER)
    assert result["status"] == "ok"
    assert result["invented"] == ["E7"]
    assert result["uncited"] == ["Retraining is never needed.", "Everyone agrees on this."]
    assert result["segments"] == [
        {"text": "Keys and values can be stored in fewer bits.", "cites": ["E1"]}
    ]
    assert "E7" not in result["text"]


@pytest.mark.parametrize(
    ("name", "cites", "invented"),
    [
        ("chat_stream.sse", [["E1"], ["E1", "E2"]], []),
        ("chat_stream_invented.sse", [["E1"]], ["E7"]),
    ],
)
def test_streamed_answers(
    served: tuple[RecordedServer, dict], name: str, cites: list, invented: list
) -> None:
    server, replies = served
    replies["next"] = recorded(name)
    events = list(generate_events(config(server), ANSWER))
    assert json.loads(server.bodies[0])["stream"] is True
    pieces = [p for kind, p in events if kind == "token"]
    assert len(pieces) >= 4  # arrived piece by piece
    kind, result = events[-1]
    assert kind == "answer" and [s["cites"] for s in result["segments"]] == cites
    assert result["invented"] == invented
    assert "".join(pieces).count("[E") >= 2


@pytest.mark.parametrize("stream", [False, True])
def test_a_hung_server_times_out_to_the_extractive_answer(
    served: tuple[RecordedServer, dict], stream: bool
) -> None:
    server, replies = served
    replies["next"] = recorded("chat.json", delay=1.5)
    chat = config(server, timeout=0.3)
    if stream:
        events = list(generate_events(chat, ANSWER))
        assert events == [("fallback", {"status": "fallback", "reason": events[0][1]["reason"]})]
        reason = events[0][1]["reason"]
    else:
        result = generate(chat, ANSWER)
        assert result["status"] == "fallback"
        reason = result["reason"]
    assert "longer than 0.3 s" in reason


@pytest.mark.parametrize(
    ("reply", "reason", "streamed"),
    [(Reply(500, b"{}"), "HTTP 500", "HTTP 500"), (Reply(200, b"not json"), "failed", "empty"),
     (Reply(200, b'{"choices": []}'), "failed", "empty")],
)  # fmt: skip
def test_errors_fall_back(
    served: tuple[RecordedServer, dict], reply: Reply, reason: str, streamed: str
) -> None:
    server, replies = served
    replies["next"] = reply
    result = generate(config(server), ANSWER)
    assert result["status"] == "fallback" and reason in result["reason"]
    events = list(generate_events(config(server), ANSWER))
    assert events[-1][0] == "fallback" and streamed in events[-1][1]["reason"]


def test_an_unreachable_server_and_no_evidence_fall_back() -> None:
    chat = ChatConfig("http://127.0.0.1:9/v1", "m", None, 1.0)
    assert generate(chat, ANSWER)["status"] == "fallback"
    assert generate(chat, {"question": "q", "evidence": [], "papers": []})["reason"] == (
        "no evidence to answer from"
    )


def test_an_answer_citing_nothing_is_not_shown() -> None:
    checked = check_citations("Everything is fine. Trust me [E9].", ["E1"])
    assert checked["segments"] == [] and checked["invented"] == ["E9"]
    assert check_citations("A first claim.  [E1] Another one [e2; E1].", ["E1", "E2"])[
        "segments"
    ] == [
        {"text": "A first claim.", "cites": ["E1"]},
        {"text": "Another one.", "cites": ["E2", "E1"]},
    ]
