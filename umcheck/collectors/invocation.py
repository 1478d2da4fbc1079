"""How a collector is started on a host, and how a peer recognises a collector run.

The collector input is one parameter blob (base64 of compact JSON), never interpolated into
script text as anything but a base64 word. Per transport:

* WinRM/WinRS: ``powershell.exe ... -EncodedCommand <bootstrap>``; the script is far larger than
  the 32,767-character command-line limit, so (as Ansible does) it travels on stdin: the first
  stdin line is the blob, the rest the script, which the bootstrap runs as a scriptblock.
* PSRP: the script text wrapped as ``& { <script> } -ParamsBlob '<blob>'``.
* SSH / local: ``python3 - --params <blob>`` with ``linux.py`` on stdin (``sudo -n`` with become).

The simulator uses ``is_collector_invocation`` and ``extract_params`` to recognise such runs.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from functools import cache
from importlib import resources
from typing import Any, Literal

from umcheck.endpoints import PROBE_KINDS, normalize_location

MARKER = "UMCHECK-COLLECTOR"
PARAMS_VERSION = 1
MAX_BLOB_CHARS = 256 * 1024
_B64_RE = re.compile(r"^[A-Za-z0-9+/]*={0,2}$")
_ENC_RE = re.compile(r"-(?:EncodedCommand|enc|e|ec)\s+([A-Za-z0-9+/=]+)", re.IGNORECASE)
_PARAMS_ARG_RE = re.compile(r"--params[ =]([A-Za-z0-9+/=]+)")
# How a PSRP pipeline's parameters read when rendered as text (see ``psrp_text``).
_ARC_LOCATION_RE = re.compile(r"^[a-z0-9]{1,40}$")  # an ARM region name: it becomes an azcmagent argument
_PSRP_PARAM_RE = re.compile(r"^-ParamsBlob\s+'([A-Za-z0-9+/=]*)'\s*$", re.MULTILINE)

WINDOWS_POWERSHELL = "powershell.exe -NoProfile -NonInteractive -ExecutionPolicy Bypass -EncodedCommand"

# Reads all of stdin (``$input``, as Ansible's bootstrap does): line 1 = params blob, rest = collector script. No parameter is ever part
# of this text, so the command line is the same for every host and run.
BOOTSTRAP = f"""# {MARKER} bootstrap 1
$ErrorActionPreference = 'Stop'
$umcIn = $input | Out-String
$umcNl = $umcIn.IndexOf([char]10)
if ($umcNl -lt 0) {{ $umcBlob = $umcIn.Trim(); $umcText = '' }}
else {{ $umcBlob = $umcIn.Substring(0, $umcNl).Trim(); $umcText = $umcIn.Substring($umcNl + 1) }}
$ErrorActionPreference = 'Continue'
& ([scriptblock]::Create($umcText)) -ParamsBlob $umcBlob
"""


class ParamsError(ValueError):
    """A parameter blob that is not a valid collector parameter document."""


@dataclass(frozen=True)
class CollectorParams:
    """What the controller tells a collector: endpoints, timeouts, sections, test overrides.

    ``probe_overrides`` maps a probe host name to ``"127.0.0.1:PORT"`` so tests can point every
    probe at loopback listeners; it is empty in production. ``sections`` None means all.
    """

    endpoints: list[dict[str, Any]] = field(default_factory=list)
    probe_timeout: float = 5.0
    sections: list[str] | None = None
    event_window_hours: int = 24
    probe_overrides: dict[str, str] = field(default_factory=dict)
    cloud: str | None = None  # None: the collector derives it from what the host records
    # scan --arc-check: run ``azcmagent check -j`` (it contacts Azure: opt-in), for the agent's own
    # region, else ``arc_location`` (the scan's account location).
    arc_check: bool = False
    arc_location: str | None = None

    def to_dict(self) -> dict[str, Any]:
        doc = asdict(self)
        doc["v"] = PARAMS_VERSION
        return doc

    def to_blob(self) -> str:
        raw = json.dumps(self.to_dict(), separators=(",", ":"), sort_keys=True)
        return base64.b64encode(raw.encode("utf-8")).decode("ascii")

    @classmethod
    def from_blob(cls, blob: str | bytes) -> CollectorParams:
        """Decode a blob defensively: any malformed part raises ParamsError with one line."""
        if isinstance(blob, bytes):
            blob = blob.decode("ascii", errors="replace")
        blob = blob.strip()
        if not blob:
            return cls()
        if len(blob) > MAX_BLOB_CHARS or not _B64_RE.match(blob):
            raise ParamsError("collector params blob is not base64 (or too large)")
        try:
            doc = json.loads(base64.b64decode(blob, validate=True).decode("utf-8"))
        except (binascii.Error, UnicodeDecodeError, ValueError, RecursionError) as exc:
            raise ParamsError(f"collector params blob does not decode to JSON: {exc}"[:200]) from None
        return cls.from_dict(doc)

    @classmethod
    def from_dict(cls, doc: Any) -> CollectorParams:
        if not isinstance(doc, dict):
            raise ParamsError("collector params are not a JSON object")
        endpoints = doc.get("endpoints") or []
        if not isinstance(endpoints, list) or not all(_valid_endpoint(e) for e in endpoints):
            raise ParamsError("collector params 'endpoints' must be a list of {name, template, port, kind}")
        timeout = doc.get("probe_timeout", 5.0)
        if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not 0 < timeout <= 300:
            raise ParamsError("collector params 'probe_timeout' must be a number of seconds in (0, 300]")
        sections = doc.get("sections")
        if sections is not None and (
            not isinstance(sections, list) or not all(isinstance(s, str) for s in sections)
        ):
            raise ParamsError("collector params 'sections' must be null or a list of names")
        window = doc.get("event_window_hours", 24)
        if isinstance(window, bool) or not isinstance(window, int) or not 0 < window <= 24 * 365:
            raise ParamsError("collector params 'event_window_hours' must be a positive integer")
        overrides = doc.get("probe_overrides") or {}
        if not isinstance(overrides, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in overrides.items()
        ):
            raise ParamsError("collector params 'probe_overrides' must map host names to 'host:port'")
        cloud = doc.get("cloud")
        if cloud is not None and cloud not in ("public", "usgov", "china"):
            raise ParamsError("collector params 'cloud' must be public, usgov or china")
        arc_check = doc.get("arc_check", False)
        arc_location = doc.get("arc_location")
        if not isinstance(arc_check, bool) or not (arc_location is None or _ARC_LOCATION_RE.match(str(arc_location))):
            raise ParamsError("collector params 'arc_check' must be a boolean and 'arc_location' an Azure region name")
        return cls(
            endpoints=[dict(e) for e in endpoints],
            probe_timeout=float(timeout),
            sections=list(sections) if sections is not None else None,
            event_window_hours=window,
            probe_overrides=dict(overrides),
            cloud=cloud,
            arc_check=arc_check,
            arc_location=arc_location,
        )


def _valid_endpoint(e: Any) -> bool:
    return (
        isinstance(e, dict)
        and isinstance(e.get("name"), str)
        and isinstance(e.get("template"), str)
        and isinstance(e.get("port", 443), int)
        and e.get("kind", "tcp") in PROBE_KINDS
    )


@dataclass(frozen=True)
class Invocation:
    """One collector run: ``command`` (+ ``stdin``) for WinRS/SSH/local, ``script`` for PSRP."""

    command: str
    stdin: bytes | None
    script: str | None
    os_family: Literal["windows", "linux"]
    parameters: tuple[tuple[str, str], ...] = ()  # PSRP: bound to the script's param() block, never text


@cache
def script_text(name: str) -> str:
    """The text of a shipped collector (``windows.ps1`` or ``linux.py``)."""
    return resources.files("umcheck.collectors").joinpath(name).read_text(encoding="utf-8")


def encode_command(text: str) -> str:
    """PowerShell ``-EncodedCommand`` form: base64 of UTF-16-LE."""
    return base64.b64encode(text.encode("utf-16-le")).decode("ascii")


def windows_winrm(params: CollectorParams) -> Invocation:
    command = f"{WINDOWS_POWERSHELL} {encode_command(BOOTSTRAP)}"
    stdin = (params.to_blob() + "\n" + script_text("windows.ps1")).encode("utf-8")
    return Invocation(command=command, stdin=stdin, script=None, os_family="windows")


def windows_psrp(params: CollectorParams) -> Invocation:
    """The script is the pipeline; the blob is bound to its ``$ParamsBlob`` parameter by PSRP itself."""
    return Invocation(command="", stdin=None, script=script_text("windows.ps1"), os_family="windows",
                      parameters=(("ParamsBlob", params.to_blob()),))  # fmt: skip


def psrp_text(script: str, parameters: Iterable[tuple[str, Any]]) -> str:
    """A PSRP pipeline as text (script, then ``-Name 'value'`` per string parameter), for recognition."""
    lines = [script.rstrip()]
    lines += [f"-{name} '{value}'" for name, value in parameters if isinstance(value, str)]
    return "\n".join(lines)


def linux(params: CollectorParams, *, become: bool = False, python: str = "python3") -> Invocation:
    prefix = "sudo -n " if become else ""
    command = f"{prefix}{python} - --params {params.to_blob()}"
    return Invocation(
        command=command, stdin=script_text("linux.py").encode("utf-8"), script=None, os_family="linux"
    )


def _text(data: bytes | str | None) -> str:
    if data is None:
        return ""
    if isinstance(data, bytes):
        return data.decode("utf-8", errors="replace")
    return data


def _decoded_encoded_command(command: str) -> str:
    m = _ENC_RE.search(command or "")
    if not m:
        return ""
    try:
        return base64.b64decode(m.group(1), validate=True).decode("utf-16-le", errors="replace")
    except (binascii.Error, ValueError):
        return ""


def is_collector_invocation(command: str, stdin: bytes | str | None) -> bool:
    """True when a command (+ stdin), or a PSRP script given as ``command``, runs a umcheck collector."""
    head = _text(stdin)[:8192]
    return MARKER in (command or "") or MARKER in _decoded_encoded_command(command) or MARKER in head


def extract_params(command: str, stdin: bytes | str | None) -> CollectorParams | None:
    """The parameters of a collector run (defaults when none were passed); None if not a collector run.

    Raises ParamsError when a blob is present but malformed.
    """
    if not is_collector_invocation(command, stdin):
        return None
    command = command or ""
    m = _PARAMS_ARG_RE.search(command)
    if m:
        return CollectorParams.from_blob(m.group(1))
    m = _PSRP_PARAM_RE.search(command)
    if m and MARKER in command:
        return CollectorParams.from_blob(m.group(1))
    if MARKER in _decoded_encoded_command(command):
        first = _text(stdin).split("\n", 1)[0].strip()
        if _B64_RE.match(first):
            return CollectorParams.from_blob(first)
    return CollectorParams()


def params_for(
    rules: Iterable[Any] | None = None,
    cloud: str = "public",
    location: str | None = None,
    account_id: str | None = None,
    probe_timeout: float = 5.0,
    overrides: dict[str, str] | None = None,
    arc_check: bool = False,
) -> CollectorParams:
    """Parameters for a scan: endpoints from the plan; only the rules' sections for a targeted re-check."""
    from umcheck.endpoints import plan_endpoints

    plan = plan_endpoints(cloud, location, account_id)
    endpoints = [
        {"name": t.name, "template": t.template, "port": t.port, "kind": t.kind} for t in plan.templates
    ]
    sections: list[str] | None = None
    if rules is not None:
        from umcheck.rules.catalog import needed_sections

        sections = needed_sections(list(rules)) or None
    return CollectorParams(
        endpoints=endpoints,
        probe_timeout=probe_timeout,
        sections=sections,
        probe_overrides=dict(overrides or {}),
        cloud=plan.cloud,
        arc_check=arc_check,
        arc_location=_arc_location(location) if arc_check else None,
    )


def _arc_location(location: str | None) -> str | None:
    loc = normalize_location(location)
    return loc if loc and _ARC_LOCATION_RE.match(loc) else None
