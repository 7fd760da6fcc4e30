"""A local stand-in for an OpenAI-compatible chat endpoint: an HTTP server in a thread, on
127.0.0.1 and a free port, answering POST /chat/completions as the test tells it (a
message's content, a raw body, an HTTP status, a delay), and keeping every request."""

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@dataclass
class Reply:
    content: str | None = None  # the first choice's message content
    body: bytes | None = None  # else this raw body
    status: int = 200
    delay: float = 0.0


@dataclass
class FakeLLM:
    url: str
    reply: Reply = field(default_factory=Reply)
    requests: list[dict] = field(default_factory=list)

    def answer_json(self, data: dict) -> None:
        self.reply = Reply(content=json.dumps(data))


def completion(content: str) -> bytes:
    return json.dumps(
        {
            "id": "chatcmpl-test",
            "object": "chat.completion",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "finish_reason": "stop",
                }
            ],
        }
    ).encode()


def serve(fake_holder: list) -> tuple[ThreadingHTTPServer, threading.Thread]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            fake = fake_holder[0]
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            fake.requests.append(
                {"path": self.path, "body": body, "auth": self.headers.get("Authorization")}
            )
            reply = fake.reply
            if reply.delay:
                time.sleep(reply.delay)
            payload = reply.body if reply.body is not None else completion(reply.content or "")
            try:
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout)
                pass

        def log_message(self, *args):  # keep the test output clean
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, thread


@pytest.fixture
def fake_llm(settings):
    """A fake OpenAI-compatible server (`FakeLLM`: set `.reply`, read `.requests`), and the
    settings pointing at it with a one-second timeout."""
    holder: list = [None]
    server, thread = serve(holder)
    host, port = server.server_address[:2]
    holder[0] = fake = FakeLLM(url=f"http://{host}:{port}/v1")
    settings.TTMS_LLM_URL = fake.url
    settings.TTMS_LLM_MODEL = "test-model"
    settings.TTMS_LLM_API_KEY = "test-key"
    settings.TTMS_LLM_TIMEOUT = 1
    yield fake
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)
