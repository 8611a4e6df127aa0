"""Serve the page (Panel, on Bokeh's Tornado server) and a small HTTP API over the same queue.

* Listens on 127.0.0.1 by default. Any other address needs a token: the page then asks for
  it (Panel's login page; any user name, the token as password) and the API wants
  ``Authorization: Bearer TOKEN``.
* ``POST /api/runs`` with a JSON body ``{"scenario": NAME, "start", "end", "seed", "scale",
  "policies_off": [...], "windows": {NAME: [start, end]}, "parameters": {...}}`` queues a
  run and answers ``202 {"id": ...}``; a full queue answers ``503`` with the reason, a bad
  request ``400`` with the one-line error. ``GET /api/runs/ID`` answers the job's state and,
  once done, its folder and yearly totals (summary.json).
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import json
import secrets
import socket
from pathlib import Path
from typing import Any

from ..errors import UserInputError
from ..scenario.loader import scenario_from_dict
from .edits import Edits, edited_scenario
from .jobs import JobQueue, JobSpec, QueueFull

__all__ = ["serve", "is_loopback"]


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _handlers(queue: JobQueue, token: str | None) -> list[tuple[str, Any, dict[str, Any]]]:
    from tornado.web import RequestHandler

    class Api(RequestHandler):
        def prepare(self) -> None:
            if token is None:
                return
            header = self.request.headers.get("Authorization", "")
            given = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else ""
            if not hmac.compare_digest(given.encode(), token.encode()):
                self.send_error(401)

        def reply(self, status: int, body: dict[str, Any]) -> None:
            self.set_status(status)
            self.set_header("Content-Type", "application/json")
            self.finish(json.dumps(body))

        def check_xsrf_cookie(self) -> None:      # an API for scripts; the token guards it
            return

    def submit(raw: bytes) -> Any:
        body = json.loads(raw or b"{}")
        if not isinstance(body, dict):
            raise ValueError("the body is not a JSON object")
        windows = {k: (v[0], v[1] if len(v) > 1 else None) for k, v in (body.get("windows") or {}).items()}
        edits = Edits(start=body.get("start"), end=body.get("end"), seed=body.get("seed"),
                      policies_off=tuple(body.get("policies_off") or ()), windows=windows,
                      parameters=dict(body.get("parameters") or {}))
        data = edited_scenario(str(body.get("scenario", "corridor-2010-2011")), edits)
        scenario_from_dict(data).with_scale(body.get("scale"), at="scale")      # a bad scale: 400, not a failed job
        return queue.submit(JobSpec("run", scenario=data, scale=body.get("scale")))

    class Runs(Api):
        async def post(self) -> None:
            try:
                # checking the edits builds a tiny world (0.2 s): off the event loop, which serves every page
                job = await asyncio.get_running_loop().run_in_executor(None, submit, self.request.body)
            except (ValueError, TypeError, AttributeError) as exc:
                self.reply(400, {"error": f"bad request: {exc}"})
                return
            except UserInputError as exc:
                self.reply(400, {"error": exc.one_line()})
                return
            except QueueFull as exc:
                self.reply(503, {"error": str(exc), "queue": queue.capacity})
                return
            self.reply(202, job.to_json())

    class OneRun(Api):
        def get(self, job_id: str) -> None:
            job = queue.get(job_id)
            if job is None:
                self.reply(404, {"error": f"no job {job_id}"})
                return
            body = job.to_json()
            summary = Path(job.out_dir) / "summary.json"
            if job.state == "done" and summary.exists():
                body["summary"] = json.loads(summary.read_text(encoding="utf-8"))
            self.reply(200, body)

        def delete(self, job_id: str) -> None:
            if queue.get(job_id) is None:
                self.reply(404, {"error": f"no job {job_id}"})
                return
            self.reply(200, {"cancelled": queue.cancel(job_id)})

    class Status(Api):
        def get(self) -> None:
            self.reply(200, {"held": queue.held(), "capacity": queue.capacity, "most_held": queue.most_held,
                             "workers_ready": queue.workers_ready()})

    return [(r"/api/runs", Runs, {}), (r"/api/runs/([0-9A-Za-z-]+)", OneRun, {}), (r"/api/queue", Status, {})]


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def serve(*, host: str = "127.0.0.1", port: int = 5006, token: str | None = None, workers: int = 2,
          capacity: int = 8, runs_dir: str | Path = "runs/app", show: bool = False,
          ready: Any = None) -> None:
    """Start the app and block until interrupted. ``ready(url)`` is called once it listens."""
    import panel as pn

    from .page import Page

    if not is_loopback(host) and not token:
        raise UserInputError(f"the app would listen on {host}, beyond this machine, without a token",
                             at="--host", expected="--token SECRET (or --host 127.0.0.1)")
    if token is not None and len(token) < 8:
        raise UserInputError("the token is too short", at="--token", expected="at least 8 characters")
    if port == 0:
        port = _free_port(host)
    queue = JobQueue(runs_dir, workers=workers, capacity=capacity)
    pn.extension(notifications=False)
    options: dict[str, Any] = {}
    if token:
        options.update(basic_auth=token, cookie_secret=secrets.token_hex(32))
    try:
        server = pn.serve({"/": lambda: Page(queue).layout()}, address=host, port=port, show=show, start=False,
                          title="Corridor",
                          websocket_origin=[f"{host}:{port}", f"localhost:{port}", f"127.0.0.1:{port}"],
                          extra_patterns=_handlers(queue, token), threaded=False, **options)
    except OSError as exc:                      # the port is taken, or the address is not this machine's
        queue.close()
        raise UserInputError(f"cannot listen on {host}:{port} ({exc.strerror or exc})", at="--port",
                             expected="a free port (--port 0 picks one) on an address of this machine") from None
    url = f"http://{'[' + host + ']' if ':' in host else host}:{port}/"
    if ready is not None:
        ready(url)
    try:
        server.start()
        server.io_loop.start()
    finally:
        queue.close()
