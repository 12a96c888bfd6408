"""A minimal receiver of ParkGrid's signed webhooks: the standard library and `standardwebhooks`.

For a partner without Kafka: ParkGrid POSTs each event an admin subscribed you to as a
structured-mode CloudEvent (JSON), signed as the Standard Webhooks specification says. This

- verifies `webhook-signature` against the body, `webhook-id` and `webhook-timestamp` with your
  endpoint's `whsec_` secret (refusing a forged, altered or replayed request with 401),
- drops a second delivery of the same event (`webhook-id` is the event's id: retries and replays
  send it again), answering 200 so that ParkGrid stops retrying,
- prints one line per event and answers quickly (do slow work after answering: ParkGrid
  gives up an attempt after its timeout and retries it later).

    python webhook_receiver.py --port 8090 --secret whsec_...      # or WEBHOOK_SECRET in the environment

Register it (as an admin): POST /v1/webhooks/endpoints on insights with
{"url": "https://your-host/hooks", "event_types": ["parkgrid.bookings"], "owner_email": "you@example.org"};
the answer's `secret` is shown once. Plain http is accepted only to 127.0.0.1 in development.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError


class Seen:
    """The webhook ids already handled. A real receiver keeps them in its own store, written in
    the same transaction as the event's effect, for longer than ParkGrid retries (days)."""

    def __init__(self) -> None:
        self.ids: set[str] = set()
        self.lock = threading.Lock()

    def first_time(self, webhook_id: str) -> bool:
        with self.lock:
            if webhook_id in self.ids:
                return False
            self.ids.add(webhook_id)
            return True


def handle(event: dict[str, Any]) -> None:
    """Your effect goes here; this example prints the event."""
    print(
        f"handled {event['type']} subject={event['subject']} sequence={event['sequence']} id={event['id']} "
        f"data={json.dumps(event['data'], ensure_ascii=False, sort_keys=True)}",
        flush=True,
    )


def make_handler(webhook: Webhook, seen: Seen) -> type[BaseHTTPRequestHandler]:
    class Receive(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            headers = {name.lower(): value for name, value in self.headers.items()}
            try:
                event = webhook.verify(body, headers)
            except WebhookVerificationError as exc:
                print(f"refused {headers.get('webhook-id', '?')}: {exc}", flush=True)
                self.answer(401)
                return
            if seen.first_time(headers["webhook-id"]):
                handle(event)
            else:
                print(f"duplicate {event['type']} id={headers['webhook-id']}", flush=True)
            self.answer(200)

        def answer(self, status: int) -> None:
            self.send_response(status)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass  # one line per event on stdout is enough

    return Receive


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument("--secret", default=os.environ.get("WEBHOOK_SECRET"), help="the endpoint's whsec_ secret")
    args = parser.parse_args(argv)
    if not args.secret:
        parser.error("--secret (or WEBHOOK_SECRET) is required: the whsec_ secret ParkGrid answered once")
    server = ThreadingHTTPServer((args.host, args.port), make_handler(Webhook(args.secret), Seen()))
    print(f"listening on http://{args.host}:{server.server_port}/", file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
