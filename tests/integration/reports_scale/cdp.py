"""A minimal Chrome DevTools Protocol client over ``--remote-debugging-pipe`` (no extra library).

Chromium reads NUL-terminated JSON commands on fd 3 and writes replies and events on fd 4. Used
to click in a report page like a person would, and read the DOM that the click produced.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any


class Browser:
    """Headless Chromium with one page; ``evaluate`` runs an expression there and returns its value."""

    def __init__(self, binary: str, profile: Path) -> None:
        cmd_r, self._cmd_w = os.pipe()  # we write commands, chromium reads them on fd 3
        self._out_r, out_w = os.pipe()  # chromium writes on fd 4, we read

        def fds() -> None:  # in the child, before exec
            write_end = os.dup(out_w) if out_w == 3 else out_w  # not overwritten by the first dup2
            os.dup2(cmd_r, 3)
            os.dup2(write_end, 4)
            for fd in (3, 4):  # dup2 onto itself (cmd_r == 3) keeps close-on-exec
                os.set_inheritable(fd, True)

        self.proc = subprocess.Popen(
            [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--no-first-run", "--disable-extensions", "--disable-sync", "--no-proxy-server",
             f"--user-data-dir={profile}", "--remote-debugging-pipe", "about:blank"],
            # close_fds would close 3 and 4 again after preexec_fn; the pipe ends are non-inheritable anyway
            close_fds=False, preexec_fn=fds, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        os.close(cmd_r)
        os.close(out_w)
        self._buf = b""
        self._id = 0
        self.events: list[dict[str, Any]] = []
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        self.call("Page.enable", session=True)
        self.call("Runtime.enable", session=True)

    def _read(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buf:
            if time.monotonic() > deadline:
                raise TimeoutError("chromium did not answer")
            chunk = os.read(self._out_r, 1 << 16)
            if not chunk:
                raise ConnectionError("chromium closed the pipe")
            self._buf += chunk
        message, self._buf = self._buf.split(b"\0", 1)
        return json.loads(message)

    def call(self, method: str, *, session: bool = False, timeout: float = 60, **params: Any) -> dict[str, Any]:
        self._id += 1
        message: dict[str, Any] = {"id": self._id, "method": method, "params": params}
        if session:
            message["sessionId"] = self.session
        os.write(self._cmd_w, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read(deadline)
            if reply.get("id") == self._id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def evaluate(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", session=True, expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def open(self, url: str, timeout: float = 60) -> float:
        """Navigate and wait for the report script to finish; returns the seconds it took."""
        start = time.monotonic()
        self.call("Page.navigate", session=True, url=url)
        while time.monotonic() - start < timeout:
            try:
                if self.evaluate("document.documentElement.getAttribute('data-ready')") == "1":
                    return time.monotonic() - start
            except RuntimeError:  # the old document went away mid-call
                pass
            time.sleep(0.05)
        raise TimeoutError(f"{url}: the report script did not finish in {timeout} s")

    def close(self) -> None:
        os.close(self._cmd_w)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._out_r)
