"""The external worker of this sample: sends the reply of every request that reached "Send reply".

    python samples/ai-confidence-loop/worker.py [--url URL] [--token TOKEN] [--once]

It knows Fuse only by its REST API (and `requests`): it fetches and locks tasks of the topic `send-reply`,
"sends" each reply by printing it, and completes the task with `{"reply_sent": true}`. A reply it cannot
send is reported as a failure, so that Fuse offers it again later (and opens an incident when no tries
are left). The user behind the token must be in the `worker` (or `admin`) group:

    fuse user add robot --group worker
    fuse token create robot        # the last word is the token

The base URL and the token come from --url/--token, else from FUSE_URL/FUSE_TOKEN.
"""
from __future__ import annotations

import argparse
import os
import socket
import sys
import time

import requests

TOPIC = "send-reply"
DEFAULT_URL = "http://127.0.0.1:8080"
TRIES = 3  # tries of one reply before Fuse opens an incident
RETRY_TIMEOUT_MS = 5_000
HTTP_TIMEOUT_S = 30

REPLIES = {
    "refund": "we have started your refund; the money will be back on your account within 5 working days.",
    "technical": "our technical team is looking into the problem and will get back to you.",
    "billing": "we are checking your invoice and will correct it if anything is wrong.",
    "other": "thank you for your message; we will answer it shortly.",
}


class FuseClient:
    """The four external-task calls this worker needs, as one worker id with one token."""

    def __init__(self, base_url: str, token: str, worker_id: str):
        self.api = base_url.rstrip("/") + "/api/v1/external-tasks"
        self.worker_id = worker_id
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {token}"

    def _post(self, path: str, body: dict):
        response = self.http.post(f"{self.api}{path}", json={"worker_id": self.worker_id, **body},
                                  timeout=HTTP_TIMEOUT_S)
        if response.status_code >= 400:
            raise RuntimeError(f"POST {path} answered {response.status_code}: {response.text[:500]}")
        return response.json()

    def fetch_and_lock(self, max_tasks: int, lock_ms: int) -> list[dict]:
        return self._post("/fetch-and-lock", {"max_tasks": max_tasks,
                                              "topics": [{"name": TOPIC, "lock_duration_ms": lock_ms}]})

    def complete(self, task_id: str, variables: dict) -> dict:
        return self._post(f"/{task_id}/complete", {"variables": variables})

    def failure(self, task_id: str, message: str, retries: int) -> dict:
        return self._post(f"/{task_id}/failure", {"error_message": message, "retries": retries,
                                                  "retry_timeout_ms": RETRY_TIMEOUT_MS})


def compose_reply(variables: dict) -> str:
    """The reply to a request, from what the process decided about it."""
    resolution = variables.get("resolution") or "other"
    how = "reviewed by our support team" if variables.get("handled_by") == "person" else "handled automatically"
    customer = variables.get("customer") or "customer"
    return f"To {customer} ({resolution}, {how}): {REPLIES.get(resolution, REPLIES['other'])}"


def send_reply(task: dict) -> None:
    """'Send' the reply: this sample prints it; a real worker would mail it or post it to a ticket."""
    print(f"reply for instance {task['process_instance_id']}: {compose_reply(task['variables'])}", flush=True)


def work_once(client: FuseClient, max_tasks: int = 10, lock_ms: int = 30_000) -> int:
    """Fetch, send and complete what is there now; returns how many replies were sent."""
    sent = 0
    for task in client.fetch_and_lock(max_tasks, lock_ms):
        try:
            send_reply(task)
        except Exception as exc:  # noqa: BLE001 - whatever stops a reply, Fuse should hear about it
            retries = TRIES - 1 if task.get("retries") is None else max(0, task["retries"] - 1)
            client.failure(task["id"], f"{type(exc).__name__}: {exc}", retries)
            continue
        client.complete(task["id"], {"reply_sent": True})
        sent += 1
    return sent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("FUSE_URL", DEFAULT_URL),
                        help=f"Fuse's base URL (default: $FUSE_URL or {DEFAULT_URL})")
    parser.add_argument("--token", default=os.environ.get("FUSE_TOKEN"),
                        help="API token of a user in the worker group (default: $FUSE_TOKEN)")
    parser.add_argument("--worker-id", default=f"send-reply@{socket.gethostname()}:{os.getpid()}")
    parser.add_argument("--once", action="store_true", help="work off what is there now, then exit")
    parser.add_argument("--poll", type=float, default=1.0, help="seconds between fetches when idle")
    parser.add_argument("--lock-ms", type=int, default=30_000, help="how long a fetched task stays locked")
    args = parser.parse_args(argv)
    if not args.token:
        parser.error("give --token or set FUSE_TOKEN")
    client = FuseClient(args.url, args.token, args.worker_id)
    if args.once:
        try:
            sent = work_once(client, lock_ms=args.lock_ms)
        except (requests.RequestException, RuntimeError) as exc:
            print(f"worker: {exc}", file=sys.stderr)
            return 1
        print(f"{sent} repl{'y' if sent == 1 else 'ies'} sent", file=sys.stderr)
        return 0
    print(f"worker {args.worker_id} fetching topic {TOPIC} from {args.url}; Ctrl-C stops it", file=sys.stderr)
    try:
        while True:
            try:
                sent = work_once(client, lock_ms=args.lock_ms)
            except (requests.RequestException, RuntimeError) as exc:  # Fuse restarting, a lock lost...
                print(f"worker: {exc}", file=sys.stderr)
                sent = 0
            if not sent:
                time.sleep(args.poll)
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
