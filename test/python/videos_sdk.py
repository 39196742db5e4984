"""Drives the official Python `openai` SDK against a running Reelay, for test/python/python-sdk.test.ts.

Usage: REELAY_BASE_URL=http://127.0.0.1:PORT/v1 REELAY_KEY=sk-... python videos_sdk.py SCENARIO [ARG]

Runs one scenario and prints one JSON object on stdout describing what the SDK observed (results, error
classes, and every HTTP exchange it made); the TypeScript side does the assertions. Expected API errors are
reported, never raised; the exit code is non-zero only when the scenario itself crashed.

Environment:
  REELAY_BASE_URL        the base URL including /v1, as the SDK takes it
  REELAY_KEY             a key that may use every model
  REELAY_RESTRICTED_KEY  errors: a key whose allow-list excludes REELAY_MODEL
  REELAY_LIMITED_KEY     errors: a key with rpm: 1 (used for exactly two creates)
  REELAY_MODEL           the model alias to create with (default sora-2)
  REELAY_SLOW_MODEL      a model whose jobs stay running for the whole scenario (remix, errors)
  REELAY_UNKNOWN_ID      errors: an id no key owns
  REELAY_LIST_COUNT      list_pagination: how many videos to create (default 5; argv[2] wins)
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import time
import traceback
import warnings
from typing import Any, Callable

# Every videos method is marked @deprecated in 3.x ("The Sora API is scheduled to permanently shut down");
# the warning says nothing about the gateway, so keep stderr for real failures.
warnings.filterwarnings("ignore", category=DeprecationWarning)

import openai  # noqa: E402
from openai import OpenAI  # noqa: E402

BASE_URL = os.environ["REELAY_BASE_URL"]
KEY = os.environ["REELAY_KEY"]
MODEL = os.environ.get("REELAY_MODEL", "sora-2")
SLOW_MODEL = os.environ.get("REELAY_SLOW_MODEL", "")
UNKNOWN_ID = os.environ.get("REELAY_UNKNOWN_ID", "video_000000000000000000000000000000000000000000000")

WIRE_HEADERS = ("content-type", "content-length", "accept", "user-agent", "x-stainless-poll-helper")


class Wire:
    """Records every request the SDK sends and every response it gets, via httpx event hooks."""

    def __init__(self) -> None:
        self.exchanges: list[dict[str, Any]] = []
        self._t0 = time.monotonic()

    def on_request(self, request: Any) -> None:
        body = request.read() if request.method != "GET" else b""
        entry: dict[str, Any] = {
            "method": request.method,
            "path": request.url.path,
            "query": request.url.query.decode() if isinstance(request.url.query, bytes) else str(request.url.query),
            "headers": {h: request.headers.get(h) for h in WIRE_HEADERS if request.headers.get(h) is not None},
            "has_transfer_encoding": request.headers.get("transfer-encoding") is not None,
            "body_bytes": len(body),
            "t_ms": round((time.monotonic() - self._t0) * 1000),
        }
        content_type = request.headers.get("content-type") or ""
        if content_type.startswith("multipart/form-data"):
            entry["multipart_fields"] = [n.decode() for n in re.findall(rb'name="([^"]+)"', body)]
        elif body:
            entry["body"] = body[:500].decode("utf-8", "replace")
        self.exchanges.append(entry)

    def on_response(self, response: Any) -> None:
        entry = self.exchanges[-1]
        entry["status"] = response.status_code
        entry["response_content_type"] = response.headers.get("content-type")
        entry["poll_after_ms"] = response.headers.get("openai-poll-after-ms")
        entry["request_id"] = response.headers.get("x-request-id")

    def of(self, method: str, path_suffix: str = "") -> list[dict[str, Any]]:
        return [e for e in self.exchanges if e["method"] == method and e["path"].endswith(path_suffix)]


def make_client(key: str = KEY) -> tuple[OpenAI, Wire]:
    wire = Wire()
    http_client = openai.DefaultHttpxClient(event_hooks={"request": [wire.on_request], "response": [wire.on_response]})
    return OpenAI(base_url=BASE_URL, api_key=key, max_retries=0, http_client=http_client), wire


def describe_error(err: BaseException) -> dict[str, Any]:
    out: dict[str, Any] = {"error_class": type(err).__name__}
    if isinstance(err, openai.APIError):
        out.update(code=err.code, param=err.param, type=err.type, message=err.message)
    if isinstance(err, openai.APIStatusError):
        out.update(
            status_code=err.status_code,
            request_id=err.request_id,
            x_request_id=err.response.headers.get("x-request-id"),
            retry_after=err.response.headers.get("retry-after"),
            response_content_type=err.response.headers.get("content-type"),
        )
    return out


def attempt(fn: Callable[[], Any]) -> dict[str, Any]:
    """Runs one SDK call that is expected to fail with an API error; a success is reported as such."""
    try:
        result = fn()
    except openai.APIError as err:
        return describe_error(err)
    return {"error_class": None, "result": result.model_dump() if hasattr(result, "model_dump") else repr(result)}


def completed_video(client: OpenAI, prompt: str = "a lighthouse at dusk", size: str = "1280x720") -> Any:
    video = client.videos.create_and_poll(prompt=prompt, seconds="4", size=size, model=MODEL)
    if video.status != "completed":
        raise RuntimeError(f"create_and_poll ended {video.status}: {video.error}")
    return video


def scenario_create_and_poll(_arg: str | None) -> dict[str, Any]:
    client, wire = make_client()
    video = client.videos.create_and_poll(prompt="A calico cat playing a piano on stage\nShot 2: the crowd cheers", seconds="4", size="1280x720", model=MODEL)
    raw = client.videos.with_raw_response.retrieve(video.id)
    polls = [e for e in wire.of("GET", f"/videos/{video.id}") if e.get("headers", {}).get("x-stainless-poll-helper") == "true"]
    return {
        "sdk_version": openai.__version__,
        "video": video.model_dump(),
        "keys": sorted(video.model_dump().keys()),
        "fields_set": sorted(video.model_fields_set),
        "wire_keys": sorted(json.loads(raw.http_response.text).keys()),
        "retrieve_content_type": raw.headers.get("content-type"),
        "retrieve_request_id": raw.headers.get("x-request-id"),
        "poll_count": len(polls),
        "polls": [{"t_ms": p["t_ms"], "status": p.get("status"), "poll_after_ms": p.get("poll_after_ms")} for p in polls],
        "wire": wire.exchanges,
    }


def scenario_download_content(_arg: str | None) -> dict[str, Any]:
    client, wire = make_client()
    video = completed_video(client)
    variants: dict[str, Any] = {}
    for variant in ("video", "thumbnail", "spritesheet"):
        res = client.videos.download_content(video.id, variant=variant)
        data = res.content
        variants[variant] = {
            "status": res.response.status_code,
            "bytes": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
            "content_type": res.response.headers.get("content-type"),
            "content_length": res.response.headers.get("content-length"),
        }
    # The default variant (no ?variant=) must be the MP4 too.
    default = client.videos.download_content(video.id)
    return {
        "id": video.id,
        "size": video.size,
        "variants": variants,
        "default_sha256": hashlib.sha256(default.content).hexdigest(),
        "default_content_type": default.response.headers.get("content-type"),
        "wire": wire.exchanges,
    }


def scenario_list_pagination(arg: str | None) -> dict[str, Any]:
    count = int(arg or os.environ.get("REELAY_LIST_COUNT", "5"))
    client, wire = make_client()
    created = [client.videos.create(prompt=f"list item {i}", model=MODEL).id for i in range(count)]
    desc_ids = [v.id for v in client.videos.list(limit=2)]
    desc_pages = len(wire.of("GET", "/videos"))
    asc_ids = [v.id for v in client.videos.list(limit=2, order="asc")]
    first_page = client.videos.list(limit=2)
    return {
        "created": created,
        "desc_ids": desc_ids,
        "asc_ids": asc_ids,
        "desc_list_requests": desc_pages,
        "list_queries": [e["query"] for e in wire.of("GET", "/videos")],
        "first_page": {"ids": [v.id for v in first_page.data], "has_more": first_page.has_more, "last_id": first_page.last_id},
        "wire": wire.exchanges,
    }


def scenario_remix(_arg: str | None) -> dict[str, Any]:
    client, wire = make_client()
    source = completed_video(client, size="1280x720")
    remix = client.videos.remix(source.id, prompt="the same lighthouse, at night")
    pending = client.videos.create(prompt="still rendering", model=SLOW_MODEL or MODEL)
    not_ready = attempt(lambda: client.videos.remix(pending.id, prompt="too early"))
    return {
        "source_id": source.id,
        "remix": remix.model_dump(),
        "pending_id": pending.id,
        "pending_status": pending.status,
        "not_ready": not_ready,
        "wire": wire.exchanges,
    }


def scenario_delete(_arg: str | None) -> dict[str, Any]:
    client, wire = make_client()
    video = completed_video(client)
    deleted = attempt(lambda: client.videos.delete(video.id))
    after = attempt(lambda: client.videos.retrieve(video.id))
    listed = [v.id for v in client.videos.list(limit=100)]
    return {
        "id": video.id,
        "delete": deleted,
        "retrieve_after": after,
        "listed_after": video.id in listed,
        "wire": wire.exchanges,
        "delete_wire": wire.of("DELETE"),
    }


def scenario_errors(_arg: str | None) -> dict[str, Any]:
    client, wire = make_client()
    cases: dict[str, Any] = {}

    bad, _ = make_client("sk-not-a-reelay-key-000000")
    cases["bad_key"] = attempt(lambda: bad.videos.retrieve(UNKNOWN_ID))
    cases["unknown_id"] = attempt(lambda: client.videos.retrieve(UNKNOWN_ID))
    cases["bad_seconds"] = attempt(lambda: client.videos.create(prompt="five seconds", seconds="5", model=MODEL))
    cases["empty_prompt"] = attempt(lambda: client.videos.create(prompt="", model=MODEL))
    cases["unknown_model"] = attempt(lambda: client.videos.create(prompt="who?", model="no-such-model"))

    restricted_key = os.environ.get("REELAY_RESTRICTED_KEY")
    if restricted_key:
        restricted, _ = make_client(restricted_key)
        cases["forbidden_model"] = attempt(lambda: restricted.videos.create(prompt="not allowed", model=MODEL))

    limited_key = os.environ.get("REELAY_LIMITED_KEY")
    if limited_key:
        limited, _ = make_client(limited_key)
        cases["rate_limit_first"] = attempt(lambda: limited.videos.create(prompt="first of the minute", model=MODEL))
        cases["rate_limit"] = attempt(lambda: limited.videos.create(prompt="second of the minute", model=MODEL))

    pending = client.videos.create(prompt="not yet rendered", model=SLOW_MODEL or MODEL)
    cases["content_not_ready"] = attempt(lambda: client.videos.download_content(pending.id))
    return {"cases": cases, "wire": wire.exchanges}


SCENARIOS: dict[str, Callable[[str | None], dict[str, Any]]] = {
    "create_and_poll": scenario_create_and_poll,
    "download_content": scenario_download_content,
    "list_pagination": scenario_list_pagination,
    "remix": scenario_remix,
    "delete": scenario_delete,
    "errors": scenario_errors,
}


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in SCENARIOS:
        print(f"usage: videos_sdk.py {{{'|'.join(SCENARIOS)}}} [ARG]", file=sys.stderr)
        return 2
    try:
        result = SCENARIOS[sys.argv[1]](sys.argv[2] if len(sys.argv) > 2 else None)
    except Exception:  # a crash, not an expected API error: show it and fail
        traceback.print_exc()
        return 1
    print(json.dumps(result, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
