"""What a simulated host answers when umcheck's collector is run on it.

The simulator does not execute PowerShell or Python: it recognises the collector invocation
(``umcheck.collectors.invocation``; a plain ``UMCHECK-COLLECTOR`` marker search while that
module is absent), reads the requested sections and endpoint templates from its parameter blob,
and prints the host's facts document in the collector envelope.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import re
from dataclasses import dataclass
from typing import Any

from umcheck import envelope
from umcheck.facts import FACTS_VERSION
from umcheck.sim.machines import Machine, machine_sections
from umcheck.sim.probes import linux_probes, repo_probes, windows_probes

MARKER = "UMCHECK-COLLECTOR"
_PARAMS_ARG = re.compile(r"--params\s+([A-Za-z0-9+/=_-]+)")
_B64_TOKEN = re.compile(r"[A-Za-z0-9+/=_-]{16,}")


@dataclass(frozen=True)
class CollectorRequest:
    sections: tuple[str, ...] | None  # None: all sections
    endpoints: list[dict[str, Any]] | None  # None: the collector's defaults


def _as_text(data: bytes | str | None) -> str:
    if data is None:
        return ""
    if isinstance(data, bytes):
        return envelope.decode(data)
    return data


def _decode_blob(blob: str) -> dict[str, Any] | None:
    try:
        raw = base64.b64decode(blob + "=" * (-len(blob) % 4), altchars=b"-_" if ("-" in blob or "_" in blob) else None)
        doc = json.loads(raw)
    except (binascii.Error, ValueError):
        return None
    return doc if isinstance(doc, dict) else None


def _fallback_params(command: str, stdin: str) -> dict[str, Any] | None:
    m = _PARAMS_ARG.search(command)
    if m:
        return _decode_blob(m.group(1))
    first = stdin.split("\n", 1)[0].strip()
    if first and (doc := _decode_blob(first)) is not None:
        return doc
    for tok in _B64_TOKEN.findall(command + "\n" + stdin[:65536]):
        doc = _decode_blob(tok)
        if doc is not None and ("endpoints" in doc or "sections" in doc):
            return doc
    return None


def _from_params(params: Any) -> CollectorRequest:
    get = params.get if isinstance(params, dict) else lambda k, d=None: getattr(params, k, d)
    sections = get("sections", None)
    endpoints = get("endpoints", None)
    eps = [dict(e) if isinstance(e, dict) else dict(getattr(e, "__dict__", {})) for e in endpoints or []]
    return CollectorRequest(tuple(sections) if sections is not None else None, eps if endpoints is not None else None)


def recognise(command: str, stdin: bytes | str | None = None) -> CollectorRequest | None:
    """The collector request in a command line (+ stdin, or a PSRP script), or None for other commands."""
    text_in = _as_text(stdin)
    try:
        from umcheck.collectors import invocation
    except ImportError:
        invocation = None  # type: ignore[assignment]
    if invocation is not None:
        try:
            if not invocation.is_collector_invocation(command, stdin):
                return None
            params = invocation.extract_params(command, stdin)
            return _from_params(params) if params is not None else CollectorRequest(None, None)
        except Exception:  # a half-written collector module must not take the simulator down
            pass
    if MARKER not in command and MARKER not in text_in:
        return None
    params = _fallback_params(command, text_in)
    return _from_params(params) if params is not None else CollectorRequest(None, None)


def facts_document(m: Machine, request: CollectorRequest, now: dt.datetime | None = None) -> dict[str, Any]:
    """The facts document the real collector would report for this machine."""
    now = now or dt.datetime.now(dt.UTC)
    stamp = now.replace(microsecond=0).isoformat()
    sections = machine_sections(m, (now - dt.timedelta(hours=2)).replace(microsecond=0).isoformat(), clock=now)
    if m.os == "windows":
        sections["probes"] = windows_probes(m, sections, request.endpoints)
    else:
        sections["repos"]["probes"] = repo_probes(m, sections["repos"].get("urls") or [])
        sections["probes"] = linux_probes(m, sections, request.endpoints)
    if request.sections is not None:
        wanted = set(request.sections)
        sections = {k: v for k, v in sections.items() if k in wanted}
    return {
        "facts_version": FACTS_VERSION,  # 2: the successor sections (arc, azure_vm, extensions, hrw2, linux_updates)
        "os_family": m.os,
        "host": {"hostname": m.hostname, "fqdn": m.fqdn},
        "collector": {"name": "umcheck-sim", "version": "1", "started": stamp, "elapsed_ms": 1800, "errors": []},
        m.os: sections,
    }


def collector_output(m: Machine, request: CollectorRequest, *, broken_json: bool = False) -> str:
    """Envelope text as the collector prints it (optionally with JSON cut short, for the fault)."""
    text = envelope.build(facts_document(m, request))
    if broken_json:
        body_start = text.index("\n") + 1
        text = text[: body_start + 40] + '"unterminated' + "\n" + envelope.END + "\n"
    return text
