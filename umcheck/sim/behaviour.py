"""What a simulated host prints for a command, and how the output is played out over time.

Shared by WinRS, PSRP and SSH so every transport shows the same host the same way: the
collector gets the host's facts; other commands get a scenario rule's answer or a few
built-in idioms (``hostname``, ``echo x``, ``exit N``, ``throw 'x'``), defaulting to the host name.
Faults that concern output (hang, slow, huge, invalid JSON, garbage) are applied in ``play``.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import os
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from umcheck import envelope
from umcheck.sim.collector import collector_output, recognise
from umcheck.sim.faults import ESCAPES, fault_arg
from umcheck.sim.hosts import HostSpec
from umcheck.sim.official import official_kind, official_output

_ENCODED = re.compile(r"-(?:e|ec|enc|encodedcommand)\s+([A-Za-z0-9+/=]+)", re.IGNORECASE)
_EXIT = re.compile(r"\bexit\s+(-?\d+)\s*$", re.IGNORECASE)
_ERROR = re.compile(r"\b(?:throw|Write-Error)\s+(?:-Message\s+)?['\"]([^'\"]*)['\"]", re.IGNORECASE)
_ECHO = re.compile(r"^\s*(?:echo|Write-Output|Write-Host)\s+['\"]?([^;'\"]*?)['\"]?\s*(?:;|$)", re.IGNORECASE)
TRICKLE_BYTES = 64
TRICKLE_INTERVAL = 0.02
NOISE_LINE = b"WARNING: simulated console noise; the facts follow at the end of this output ........\r\n"


@dataclass(frozen=True)
class Reply:
    stdout: bytes
    stderr: bytes = b""
    rc: int = 0
    collector: bool = False
    delay: float = 0.0


def decode_powershell(command_line: str) -> str:
    """The script of ``powershell -EncodedCommand <b64 UTF-16LE>``, else the command line itself."""
    m = _ENCODED.search(command_line)
    if not m:
        return command_line
    try:
        return base64.b64decode(m.group(1)).decode("utf-16-le")
    except (binascii.Error, UnicodeDecodeError):
        return command_line


def reply_for(spec: HostSpec, command: str, stdin: bytes | None = None) -> Reply:
    """The host's answer to ``command`` (a command line, or a PSRP script) with optional stdin."""
    nl = "\r\n" if spec.os == "windows" else "\n"
    if official_kind(decode_powershell(command), _text(stdin)) is not None:
        return Reply(official_output(spec.machine, dict(spec.official)).replace("\n", nl).encode())
    request = recognise(command, stdin)
    if request is not None:
        out = collector_output(spec.machine, request, broken_json=spec.has("invalid_json"))
        rc = fault_arg(spec.faults, "escapes")
        if rc is not None:  # (psrpcore would put the stderr line's controls raw into XML: rc 0 has none)
            out = "" if rc else _with_escapes(out)
            warning = f"warning: {ESCAPES}{nl}".encode() if rc else b""
            return Reply(out.replace("\n", nl).encode(), warning, rc, collector=True)
        return Reply(out.replace("\n", nl).encode(), collector=True)
    text = decode_powershell(command).strip()
    for rule in spec.commands:
        if rule.matches(text):
            return Reply(rule.stdout.encode(), rule.stderr.encode(), rule.rc, delay=rule.delay)
    rc = int(m.group(1)) if (m := _EXIT.search(text)) is not None else 0
    if (m := _ERROR.search(text)) is not None:
        return Reply(b"", (m.group(1) + nl).encode(), rc or 1)
    first = text.splitlines()[0] if text else ""
    if (m := _ECHO.match(first)) is not None:
        return Reply((m.group(1) + nl).encode(), b"", rc)
    return Reply((spec.name + nl).encode(), b"", rc)


def _with_escapes(text: str) -> str:
    """The collector's envelope with escape sequences in every host-written text a report may show."""
    doc = envelope.parse(text)
    doc["host"]["hostname"] = f"{doc['host'].get('hostname', '')}{ESCAPES}"
    section = "machine_keys" if doc["os_family"] == "windows" else "dmi"
    doc.setdefault("collector", {}).setdefault("errors", []).append({"section": section, "message": ESCAPES})
    probes = doc[doc["os_family"]].get("probes") or []
    for p in probes:
        p["detail"] = ESCAPES
    if probes:  # a failing probe: its detail reaches the rule's reason
        probes[0].update(ok=False, error="other")
    return envelope.build(doc)


def _text(stdin: bytes | None) -> str:
    return stdin[:65536].decode("utf-8", "replace") if stdin else ""


def clixml_error(text: str) -> bytes:
    """stderr as Windows PowerShell 5.1 writes it over WinRS (pywinrm's run_ps cleans exactly this)."""
    from xml.sax.saxutils import escape

    lines = "".join(
        f'<S S="Error">{escape(line)}_x000D__x000A_</S>' for line in text.replace("\r\n", "\n").split("\n") if line
    )
    return (
        '#< CLIXML\r\n<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04">'
        f"{lines}</Objs>"
    ).encode()


Write = Callable[[str, bytes], Awaitable[None]]


async def play(spec: HostSpec, reply: Reply, write: Write, finish: Callable[[int], None]) -> None:
    """Emit ``reply`` through ``write(stream, data)`` then ``finish(rc)``, shaped by the host's faults."""
    if spec.latency_ms or spec.run_ms or reply.delay:
        await asyncio.sleep((spec.latency_ms + spec.run_ms) / 1000 + reply.delay)
    if spec.has("hang"):
        await asyncio.Event().wait()  # prints nothing, never ends: until cancelled (Signal, Delete, disconnect)
    if spec.has("huge_output"):
        block = NOISE_LINE * (256 * 1024 // len(NOISE_LINE))
        for _ in range(max(1, spec.huge_output_mb * 1024 * 1024 // len(block))):
            await write("stdout", block)
    stdout = reply.stdout
    if spec.has("garbage_output"):
        stdout = os.urandom(4096)
    if (size := fault_arg(spec.faults, "garbage_output")) is not None:
        stdout = (b'"RuleId" ' + b"[{" * (size // 2))[:size]  # the key makes a parser look at every bracket
    if spec.has("slow_output"):
        for i in range(0, len(stdout), TRICKLE_BYTES):
            await write("stdout", stdout[i : i + TRICKLE_BYTES])
            await asyncio.sleep(TRICKLE_INTERVAL)
    elif stdout:
        await write("stdout", stdout)
    if reply.stderr:
        await write("stderr", reply.stderr)
    finish(reply.rc)
