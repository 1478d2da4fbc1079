"""WS-Management SOAP envelopes: read a request, write responses and Windows-shaped faults.

The clients use different prefixes (pywinrm ``env/a/w``, pypsrp ``s/wsa/wsman``), so requests are
read by namespace URI only. Responses are built as text: a fixed skeleton is faster than
ElementTree at fleet scale, and every variable part is escaped.
"""

from __future__ import annotations

import re
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

NS_S = "http://www.w3.org/2003/05/soap-envelope"
NS_A = "http://schemas.xmlsoap.org/ws/2004/08/addressing"
NS_W = "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"
NS_P = "http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd"
NS_X = "http://schemas.xmlsoap.org/ws/2004/09/transfer"
NS_RSP = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell"
NS_F = "http://schemas.microsoft.com/wbem/wsman/1/wsmanfault"
NS_PS = "http://schemas.microsoft.com/powershell"
ANONYMOUS = "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous"

ACTION_CREATE = f"{NS_X}/Create"
ACTION_DELETE = f"{NS_X}/Delete"
ACTION_GET = f"{NS_X}/Get"
ACTION_COMMAND = f"{NS_RSP}/Command"
ACTION_RECEIVE = f"{NS_RSP}/Receive"
ACTION_SEND = f"{NS_RSP}/Send"
ACTION_SIGNAL = f"{NS_RSP}/Signal"
ACTION_FAULT = "http://schemas.dmtf.org/wbem/wsman/1/wsman/fault"
RESPONSE_ACTION = {
    ACTION_CREATE: f"{NS_X}/CreateResponse",
    ACTION_DELETE: f"{NS_X}/DeleteResponse",
    ACTION_GET: f"{NS_X}/GetResponse",
    ACTION_COMMAND: f"{NS_RSP}/CommandResponse",
    ACTION_RECEIVE: f"{NS_RSP}/ReceiveResponse",
    ACTION_SEND: f"{NS_RSP}/SendResponse",
    ACTION_SIGNAL: f"{NS_RSP}/SignalResponse",
}
RESOURCE_CMD = f"{NS_RSP}/cmd"
RESOURCE_PS_PREFIX = f"{NS_PS}/"

# WSManFault codes the clients act on (protocol notes §4).
CODE_TIMED_OUT = 2150858793
CODE_INVALID_SELECTORS = 2150858843
CODE_ACTION_NOT_SUPPORTED = 2150858771
CODE_INTERNAL_ERROR = 2150858752
CODE_ACCESS_DENIED = 5

_DURATION = re.compile(r"^PT(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?$")


class SoapError(ValueError):
    """The request body is not a WS-Management envelope."""


def q(ns: str, tag: str) -> str:
    return f"{{{ns}}}{tag}"


def parse_duration(text: str | None, default: float) -> float:
    """ISO-8601 ``PT20S`` / ``PT20.000S`` / ``PT1M`` as seconds."""
    m = _DURATION.match((text or "").strip())
    if not m or not any(m.groups()):
        return default
    h, mi, s = (float(g) if g else 0.0 for g in m.groups())
    return h * 3600 + mi * 60 + s


@dataclass(frozen=True)
class WsmanRequest:
    action: str
    message_id: str
    resource_uri: str
    selectors: dict[str, str] = field(default_factory=dict)
    options: dict[str, str] = field(default_factory=dict)
    operation_timeout: float = 20.0
    max_envelope_size: int = 153600
    body: ET.Element | None = None  # first child of s:Body, if any

    @property
    def shell_id(self) -> str | None:
        return self.selectors.get("ShellId")

    @property
    def max_payload(self) -> int:
        """Raw bytes that fit one response: base64 (4/3) plus a 2 KiB skeleton, as Windows sizes it."""
        return max(1024, (self.max_envelope_size - 2048) * 3 // 4)


def parse_request(body: bytes) -> WsmanRequest:
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise SoapError(f"request is not XML: {exc}") from None
    if root.tag != q(NS_S, "Envelope"):
        raise SoapError("request is not a SOAP 1.2 envelope")
    header = root.find(q(NS_S, "Header"))
    if header is None:
        raise SoapError("SOAP envelope without Header")

    def text(ns: str, tag: str) -> str:
        el = header.find(q(ns, tag))
        return (el.text or "").strip() if el is not None else ""

    selectors = {s.get("Name", ""): (s.text or "") for s in header.iter(q(NS_W, "Selector"))}
    options = {o.get("Name", ""): (o.text or "") for o in header.iter(q(NS_W, "Option"))}
    try:
        max_env = int(text(NS_W, "MaxEnvelopeSize") or 153600)
    except ValueError:
        max_env = 153600
    soap_body = root.find(q(NS_S, "Body"))
    first = soap_body[0] if soap_body is not None and len(soap_body) else None
    return WsmanRequest(
        action=text(NS_A, "Action"),
        message_id=text(NS_A, "MessageID"),
        resource_uri=text(NS_W, "ResourceURI"),
        selectors=selectors,
        options=options,
        operation_timeout=parse_duration(text(NS_W, "OperationTimeout"), 20.0),
        max_envelope_size=max(8192, max_env),
        body=first,
    )


_ENVELOPE = (
    '<s:Envelope xml:lang="en-US" xmlns:s="' + NS_S + '" xmlns:a="' + NS_A + '" xmlns:x="' + NS_X
    + '" xmlns:w="' + NS_W + '" xmlns:rsp="' + NS_RSP + '" xmlns:p="' + NS_P + '">'
    "<s:Header><a:Action>{action}</a:Action><a:MessageID>uuid:{mid}</a:MessageID>"
    "<a:To>" + ANONYMOUS + "</a:To><a:RelatesTo>{relates}</a:RelatesTo></s:Header>"
    "<s:Body>{body}</s:Body></s:Envelope>"
)  # fmt: skip


def envelope(req: WsmanRequest, body_xml: str, action: str | None = None) -> bytes:
    """A response to ``req``; RelatesTo echoes its MessageID byte for byte (pypsrp compares strings)."""
    act = action or RESPONSE_ACTION.get(req.action, req.action + "Response")
    return _ENVELOPE.format(
        action=escape(act), mid=str(uuid.uuid4()).upper(), relates=escape(req.message_id), body=body_xml
    ).encode("utf-8")


def fault(
    req: WsmanRequest | None,
    *,
    code: int,
    subcode: str,
    reason: str,
    machine: str,
    sender: bool = False,
    wmi_error: int | None = None,
) -> bytes:
    """A SOAP fault shaped like Windows' (sent with HTTP 500)."""
    wmi = ""
    if wmi_error is not None:
        wmi = (
            '<p:MSFT_WmiError xmlns:p="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/MSFT_WmiError">'
            f"<p:error_Code>{wmi_error}</p:error_Code><p:Message>{escape(reason)}</p:Message></p:MSFT_WmiError>"
        )
    body = (
        f"<s:Fault><s:Code><s:Value>s:{'Sender' if sender else 'Receiver'}</s:Value>"
        f"<s:Subcode><s:Value>{escape(subcode)}</s:Value></s:Subcode></s:Code>"
        f'<s:Reason><s:Text xml:lang="en-US">{escape(reason)}</s:Text></s:Reason>'
        f'<s:Detail><f:WSManFault xmlns:f="{NS_F}" Code="{code}" Machine={quoteattr(machine)}>'
        f"<f:Message>{escape(reason)}</f:Message></f:WSManFault>{wmi}</s:Detail></s:Fault>"
    )
    if req is None:
        req = WsmanRequest(action="", message_id="uuid:" + str(uuid.uuid4()).upper(), resource_uri="")
    return envelope(req, body, action=ACTION_FAULT)


class Fault(Exception):
    """A WS-Management fault to send instead of a response (HTTP 500)."""

    def __init__(self, code: int, subcode: str, reason: str, *, sender: bool = False, wmi_error: int | None = None):
        super().__init__(reason)
        self.code, self.subcode, self.reason, self.sender, self.wmi_error = code, subcode, reason, sender, wmi_error

    def render(self, req: WsmanRequest | None, machine: str) -> bytes:
        return fault(req, code=self.code, subcode=self.subcode, reason=self.reason, machine=machine,
                     sender=self.sender, wmi_error=self.wmi_error)  # fmt: skip


def timed_out() -> Fault:
    return Fault(CODE_TIMED_OUT, "w:TimedOut",
                 "The WS-Management service cannot complete the operation within the time specified in OperationTimeout.")  # fmt: skip


def invalid_selectors() -> Fault:
    return Fault(CODE_INVALID_SELECTORS, "w:InvalidSelectors",
                 "The WS-Management service cannot process the request because the request contained invalid "
                 "selectors for the resource.", sender=True)  # fmt: skip


def action_not_supported(action: str) -> Fault:
    return Fault(CODE_ACTION_NOT_SUPPORTED, "a:ActionNotSupported",
                 f"The action is not supported by the service: {action[:200]}", sender=True)  # fmt: skip


def internal_error(reason: str) -> Fault:
    return Fault(CODE_INTERNAL_ERROR, "w:InternalError", reason)


def resource_created(req: WsmanRequest, endpoint: str, shell_id: str, shell_xml: str = "") -> str:
    """Create response body: pypsrp copies the SelectorSet, pywinrm finds any ``Name="ShellId"``."""
    return (
        f"<x:ResourceCreated><a:Address>{escape(endpoint)}</a:Address><a:ReferenceParameters>"
        f"<w:ResourceURI>{escape(req.resource_uri)}</w:ResourceURI>"
        f'<w:SelectorSet><w:Selector Name="ShellId">{escape(shell_id)}</w:Selector></w:SelectorSet>'
        f"</a:ReferenceParameters></x:ResourceCreated>{shell_xml}"
    )


def shell_xml(shell_id: str, resource_uri: str, owner: str, client_ip: str, streams: tuple[str, str]) -> str:
    return (
        f"<rsp:Shell><rsp:ShellId>{escape(shell_id)}</rsp:ShellId>"
        f"<rsp:ResourceUri>{escape(resource_uri)}</rsp:ResourceUri><rsp:Owner>{escape(owner)}</rsp:Owner>"
        f"<rsp:ClientIP>{escape(client_ip)}</rsp:ClientIP><rsp:IdleTimeOut>PT7200.000S</rsp:IdleTimeOut>"
        f"<rsp:InputStreams>{streams[0]}</rsp:InputStreams><rsp:OutputStreams>{streams[1]}</rsp:OutputStreams>"
        "<rsp:ShellRunTime>P0DT0H0M0S</rsp:ShellRunTime><rsp:ShellInactivity>P0DT0H0M0S</rsp:ShellInactivity>"
        "</rsp:Shell>"
    )
