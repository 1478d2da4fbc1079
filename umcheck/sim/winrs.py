"""WinRS (cmd shell) state: shells, commands, stdin, and the Receive long poll.

A command starts playing its output at its first Receive, or as soon as stdin is closed,
whichever comes first: pywinrm's ``run_cmd`` never sends stdin, while the collector's WinRS
invocation sends its script over stdin before receiving.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import uuid
from collections import deque
from xml.sax.saxutils import escape

from umcheck.sim import soap
from umcheck.sim.behaviour import Reply, clixml_error, play, reply_for
from umcheck.sim.hosts import HostSpec
from umcheck.sim.stats import Counter

STATE_DONE = f"{soap.NS_RSP}/CommandState/Done"
STATE_RUNNING = f"{soap.NS_RSP}/CommandState/Running"
BUFFER_LIMIT = 4 * 1024 * 1024  # output held per command before the producer waits for Receives


class WinrsCommand:
    def __init__(self, spec: HostSpec, command_id: str, command_line: str, count: Counter):
        self.spec = spec
        self.count = count
        self.id = command_id
        self.command_line = command_line
        self.stdin = bytearray()
        self.chunks: deque[tuple[str, bytes]] = deque()
        self.buffered = 0
        self.done = False
        self.rc = 0
        self.task: asyncio.Task | None = None
        self._changed = asyncio.Event()
        self._drained = asyncio.Event()
        self.reply: Reply | None = None

    @property
    def powershell(self) -> bool:
        return self.command_line.lower().lstrip('"').startswith(("powershell", "pwsh"))

    def start(self) -> None:
        if self.task is not None:
            return
        reply = reply_for(self.spec, self.command_line, bytes(self.stdin) or None)
        if reply.stderr and self.powershell:
            reply = dataclasses.replace(reply, stderr=clixml_error(reply.stderr.decode(errors="replace")))
        self.reply = reply
        self.count("commands")
        if reply.collector:
            self.count("collector_runs")
        self.task = asyncio.get_running_loop().create_task(play(self.spec, reply, self._write, self._finish))

    def feed(self, data: bytes, end: bool) -> None:
        self.stdin += data
        if end:
            self.start()

    async def _write(self, stream: str, data: bytes) -> None:
        while self.buffered > BUFFER_LIMIT:
            self._drained.clear()
            await self._drained.wait()
        self.chunks.append((stream, data))
        self.buffered += len(data)
        self._changed.set()

    def _finish(self, rc: int) -> None:
        self.done, self.rc = True, rc
        self._changed.set()

    async def receive(self, streams: list[str], timeout: float, max_bytes: int) -> str:
        """ReceiveResponse body XML; raises the TimedOut fault when nothing happened within ``timeout``."""
        self.start()
        if not self.chunks and not self.done:
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), timeout)
            except TimeoutError:
                raise soap.timed_out() from None
        parts: list[tuple[str, bytearray]] = []
        budget = max_bytes
        while self.chunks and budget > 0:
            stream, data = self.chunks.popleft()
            if len(data) > budget:
                self.chunks.appendleft((stream, data[budget:]))
                data = data[:budget]
            self.buffered -= len(data)
            budget -= len(data)
            if stream not in streams:
                continue
            if parts and parts[-1][0] == stream:
                parts[-1][1].extend(data)
            else:
                parts.append((stream, bytearray(data)))
        self._drained.set()
        cid = escape(self.id)
        xml = [f'<rsp:Stream Name="{s}" CommandId="{cid}">{base64.b64encode(d).decode()}</rsp:Stream>' for s, d in parts]
        if self.done and not self.chunks:
            xml += [f'<rsp:Stream Name="{s}" CommandId="{cid}" End="true"></rsp:Stream>' for s in streams]
            xml.append(f'<rsp:CommandState CommandId="{cid}" State="{STATE_DONE}">'
                       f"<rsp:ExitCode>{self.rc}</rsp:ExitCode></rsp:CommandState>")  # fmt: skip
        else:
            xml.append(f'<rsp:CommandState CommandId="{cid}" State="{STATE_RUNNING}"></rsp:CommandState>')
        return "<rsp:ReceiveResponse>" + "".join(xml) + "</rsp:ReceiveResponse>"

    def cancel(self) -> None:
        if self.task is not None and not self.task.done():
            self.task.cancel()


class WinrsShell:
    """A cmd shell; the WS-Man server routes Command/Receive/Send/Signal here by ShellId."""

    kind = "winrs"

    def __init__(self, spec: HostSpec, shell_id: str, resource_uri: str, count: Counter):
        self.spec = spec
        self.count = count
        self.id = shell_id
        self.resource_uri = resource_uri
        self.commands: dict[str, WinrsCommand] = {}

    def _command(self, command_id: str | None) -> WinrsCommand:
        cmd = self.commands.get(command_id or "")
        if cmd is None:
            raise soap.invalid_selectors()
        return cmd

    def command(self, req: soap.WsmanRequest) -> str:
        body = req.body
        line = body.find(soap.q(soap.NS_RSP, "Command")) if body is not None else None
        args = [a.text or "" for a in body.iter(soap.q(soap.NS_RSP, "Arguments"))] if body is not None else []
        text = " ".join([(line.text or "").strip() if line is not None else "", *args]).strip()
        command_id = (body.get("CommandId") if body is not None else None) or str(uuid.uuid4()).upper()
        self.commands[command_id] = WinrsCommand(self.spec, command_id, text, self.count)
        return f"<rsp:CommandResponse><rsp:CommandId>{escape(command_id)}</rsp:CommandId></rsp:CommandResponse>"

    async def receive(self, req: soap.WsmanRequest) -> str:
        desired = req.body.find(soap.q(soap.NS_RSP, "DesiredStream")) if req.body is not None else None
        if desired is None:
            raise soap.invalid_selectors()
        streams = (desired.text or "stdout stderr").split()
        cmd = self._command(desired.get("CommandId"))
        return await cmd.receive(streams, req.operation_timeout, req.max_payload)

    def send(self, req: soap.WsmanRequest) -> str:
        for stream in req.body.iter(soap.q(soap.NS_RSP, "Stream")) if req.body is not None else []:
            cmd = self._command(stream.get("CommandId"))
            cmd.feed(base64.b64decode(stream.text or ""), (stream.get("End") or "").lower() == "true")
        return "<rsp:SendResponse></rsp:SendResponse>"

    def signal(self, req: soap.WsmanRequest) -> str:
        command_id = req.body.get("CommandId") if req.body is not None else None
        cmd = self.commands.pop(command_id or "", None)
        if cmd is not None:
            cmd.cancel()
        return "<rsp:SignalResponse></rsp:SignalResponse>"

    def close(self) -> None:
        for cmd in self.commands.values():
            cmd.cancel()
        self.commands.clear()
