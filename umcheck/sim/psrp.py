"""PSRP (PowerShell remoting) shells over the same WS-Man server, using psrpcore as the sans-IO server.

The client's Create carries the pool negotiation (``creationXml``); pipelines arrive as a Command
whose Arguments hold the first CreatePipeline fragments. Outgoing data is taken from psrpcore at
Receive time, sized for that request's MaxEnvelopeSize, and routed by target: pool messages go
only to Receives without a CommandId, pipeline messages only to that pipeline's Receives.
"""

from __future__ import annotations

import asyncio
import base64
import uuid
from collections import deque
from typing import Any
from xml.sax.saxutils import escape

from psrpcore import CreatePipelineEvent, PSRPPayload, ServerPipeline, ServerRunspacePool, StreamType
from psrpcore.types import (
    ErrorCategory,
    ErrorCategoryInfo,
    ErrorRecord,
    HostMethodIdentifier,
    NETException,
    PSInvocationState,
)

from umcheck.collectors.invocation import psrp_text
from umcheck.sim import soap
from umcheck.sim.behaviour import play, reply_for
from umcheck.sim.hosts import HostSpec
from umcheck.sim.stats import Counter
from umcheck.sim.winrs import STATE_DONE

_FINISHED = (PSInvocationState.Completed, PSInvocationState.Failed, PSInvocationState.Stopped)


def fail_pipeline(pipe: ServerPipeline, message: str) -> None:
    """End a pipeline as Failed (pypsrp ``had_errors``). psrpcore has no public API for it."""
    record = ErrorRecord(
        Exception=NETException(Message=message),
        CategoryInfo=ErrorCategoryInfo(Category=ErrorCategory.NotSpecified, Reason="RuntimeException"),
        FullyQualifiedErrorId="RuntimeException",
    )
    pipe._change_state(PSInvocationState.Failed, error=record)


def script_of(metadata: Any) -> str:
    """The text a pipeline runs: each command's script or name, then its string parameters."""
    parts: list[str] = []
    for cmd in getattr(metadata, "commands", None) or []:
        if cmd.command_text.lower() in ("invoke-expression", "out-string"):
            parts.extend(v for _n, v in cmd.parameters if isinstance(v, str))  # pypsrp Client: -Command TEXT
        else:
            parts.append(psrp_text(cmd.command_text, [(n, v) for n, v in cmd.parameters if n]))
    return "\n".join(parts)


class _PipelineRun:
    """Feeds one pipeline from the shared output player; stdout is sent as whole lines."""

    def __init__(self, shell: PsrpShell, pipe: ServerPipeline):
        self.shell, self.pipe = shell, pipe
        self._partial = ""
        self._stderr: list[str] = []
        self.task: asyncio.Task | None = None

    def start(self) -> None:
        script = script_of(self.pipe.metadata)
        reply = reply_for(self.shell.spec, script)
        self.shell.count("psrp_pipelines")
        if reply.collector:
            self.shell.count("collector_runs")
        self.pipe.start()
        self.task = asyncio.get_running_loop().create_task(play(self.shell.spec, reply, self._write, self._finish))

    async def _write(self, stream: str, data: bytes) -> None:
        text = data.decode("utf-8", errors="replace")
        if stream == "stderr":  # written at the end: the last line of a failing command becomes its error
            self._stderr += [line for line in text.replace("\r\n", "\n").split("\n") if line]
        else:
            self._partial += text
            cut = self._partial.rfind("\n")
            if cut >= 0:
                self.pipe.write_output(self._partial[:cut].replace("\r\n", "\n").rstrip("\r"))
                self._partial = self._partial[cut + 1 :]
        self.shell.changed()
        await asyncio.sleep(0)

    def _finish(self, rc: int) -> None:
        if self._partial:
            self.pipe.write_output(self._partial.rstrip("\r\n"))
            self._partial = ""
        errors = self._stderr[:-1] if rc != 0 else self._stderr
        for line in errors:
            self.pipe.write_error(NETException(Message=line), ErrorCategoryInfo(Reason="WriteErrorException"),
                                  fully_qualified_error_id="Microsoft.PowerShell.Commands.WriteErrorException")  # fmt: skip
        if rc != 0:
            self.pipe.host_call(HostMethodIdentifier.SetShouldExit, [rc])
            fail_pipeline(self.pipe, self._stderr[-1] if self._stderr else f"The command exited with code {rc}.")
        else:
            self.pipe.complete()
        self.shell.changed()

    def cancel(self) -> None:
        if self.task is not None and not self.task.done():
            self.task.cancel()


class PsrpShell:
    kind = "psrp"

    def __init__(self, spec: HostSpec, shell_id: str, resource_uri: str, creation: bytes, count: Counter):
        self.spec = spec
        self.count = count
        self.id = shell_id
        self.resource_uri = resource_uri
        self.pool = ServerRunspacePool()
        self.pool_queue: deque[bytes] = deque()
        self.pipe_queues: dict[uuid.UUID, deque[bytes]] = {}
        self.runs: dict[uuid.UUID, _PipelineRun] = {}
        self._changed = asyncio.Event()
        self.pool.receive_data(PSRPPayload(creation, StreamType.default, None))
        self._events()

    def changed(self) -> None:
        self._changed.set()

    def _events(self) -> None:
        while (event := self.pool.next_event()) is not None:
            if isinstance(event, CreatePipelineEvent):
                run = self.runs.get(event.pipeline_id)
                if run is not None:
                    run.start()
        self.changed()

    def _drain(self, amount: int) -> None:
        while (p := self.pool.data_to_send(amount)) is not None:
            if p.pipeline_id is None:
                self.pool_queue.append(p.data)
            else:
                self.pipe_queues.setdefault(p.pipeline_id, deque()).append(p.data)

    def command(self, req: soap.WsmanRequest) -> str:
        body = req.body
        command_id = (body.get("CommandId") if body is not None else None) or str(uuid.uuid4()).upper()
        try:
            pid = uuid.UUID(command_id)
        except ValueError:
            raise soap.invalid_selectors() from None
        pipe = ServerPipeline(self.pool, pid)  # must exist before its CreatePipeline fragments are fed
        self.runs[pid] = _PipelineRun(self, pipe)
        self.pipe_queues.setdefault(pid, deque())
        args = body.find(soap.q(soap.NS_RSP, "Arguments")) if body is not None else None
        if args is not None and args.text:
            self.pool.receive_data(PSRPPayload(base64.b64decode(args.text), StreamType.default, pid))
            self._events()
        return f"<rsp:CommandResponse><rsp:CommandId>{escape(command_id)}</rsp:CommandId></rsp:CommandResponse>"

    async def receive(self, req: soap.WsmanRequest) -> str:
        desired = req.body.find(soap.q(soap.NS_RSP, "DesiredStream")) if req.body is not None else None
        cid = desired.get("CommandId") if desired is not None else None
        pid = uuid.UUID(cid) if cid else None
        if pid is not None and pid not in self.pipe_queues:
            raise soap.invalid_selectors()
        amount = max(1024, req.max_payload)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + req.operation_timeout
        while True:
            self._drain(amount)
            queue = self.pool_queue if pid is None else self.pipe_queues[pid]
            finished = pid is not None and self.runs[pid].pipe.state in _FINISHED
            if queue or finished:
                break
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), max(0.0, deadline - loop.time()))
            except TimeoutError:
                raise soap.timed_out() from None
        attr = f' CommandId="{escape(cid)}"' if cid else ""
        xml = ""
        if queue:
            xml = f'<rsp:Stream Name="stdout"{attr}>{base64.b64encode(queue.popleft()).decode()}</rsp:Stream>'
        if finished and not queue:
            xml += f'<rsp:CommandState{attr} State="{STATE_DONE}"><rsp:ExitCode>0</rsp:ExitCode></rsp:CommandState>'
        return f"<rsp:ReceiveResponse>{xml}</rsp:ReceiveResponse>"

    def send(self, req: soap.WsmanRequest) -> str:
        for stream in req.body.iter(soap.q(soap.NS_RSP, "Stream")) if req.body is not None else []:
            cid = stream.get("CommandId")
            pid = uuid.UUID(cid) if cid else None
            self.pool.receive_data(PSRPPayload(base64.b64decode(stream.text or ""), StreamType.default, pid))
        self._events()
        return "<rsp:SendResponse></rsp:SendResponse>"

    def signal(self, req: soap.WsmanRequest) -> str:
        cid = req.body.get("CommandId") if req.body is not None else None
        code = (req.body.findtext(soap.q(soap.NS_RSP, "Code")) or "").lower() if req.body is not None else ""
        pid = uuid.UUID(cid) if cid else None
        run = self.runs.get(pid) if pid else None
        if run is not None:
            if run.pipe.state == PSInvocationState.Running:
                run.cancel()
                run.pipe.stop()
            elif "ctrl_c" not in code or run.pipe.state in _FINISHED:
                run.cancel()
                run.pipe.close()
                self.runs.pop(pid, None)
            self.changed()
        return "<rsp:SignalResponse></rsp:SignalResponse>"

    def close(self) -> None:
        for run in self.runs.values():
            run.cancel()
        self.runs.clear()
