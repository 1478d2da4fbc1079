"""The WS-Management endpoint of one simulated Windows host (HTTP 5985 and HTTPS 5986).

Per connection: read a request, authenticate it (Basic per request; NTLM/Negotiate per
connection), unseal an encrypted body, dispatch the SOAP action to the host's shells, and
answer (sealed again when the request was). The connection stays open between requests:
NTLM and its RC4 seal are bound to it. HTTP-level faults are injected here.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import uuid

from umcheck.sim import soap
from umcheck.sim.auth import AuthPolicy, ConnectionAuth, Credentials, NtlmUserFiles
from umcheck.sim.certauth import CertificateAuth, host_subjects
from umcheck.sim.credssp import CredSspAuth
from umcheck.sim.encryption import DecryptError, is_encrypted, protocol_of, unwrap, wrap
from umcheck.sim.encryption import content_type as encrypted_type
from umcheck.sim.hosts import HostSpec
from umcheck.sim.http import HttpError, Request, Response, read_request, write_response
from umcheck.sim.kerberos import KerberosAuth
from umcheck.sim.psrp import PsrpShell
from umcheck.sim.stats import Counter
from umcheck.sim.tls import HostCert
from umcheck.sim.winrs import WinrsShell

SOAP_TYPE = "application/soap+xml;charset=UTF-8"
QUOTA_FAULT = 2150859174
IDLE_TIMEOUT = 120.0  # HTTP.sys' idle-connection timeout; longer than any client's read timeout


class _Drop(Exception):
    """Close the TCP connection without answering (fault injection)."""


class WsmanHost:
    def __init__(self, spec: HostSpec, address: str, files: NtlmUserFiles, count: Counter):
        self.spec = spec
        self.address = address
        self.count = count
        self.files = files
        self.shells: dict[str, WinrsShell | PsrpShell] = {}
        self.cert: HostCert | None = None
        self.ports = {"http": 0, "https": 0}
        accepted = spec.credentials
        if spec.has("auth_failure"):
            accepted = Credentials(spec.credentials.user, spec.credentials.password + "-rotated")
        self.policy = AuthPolicy(accepted, cbt_strict=spec.cbt_strict)
        self._conns: set[asyncio.StreamWriter] = set()

    @property
    def machine_name(self) -> str:
        return self.spec.name.upper()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, tls: bool) -> None:
        self.count("connections")
        self._conns.add(writer)
        peer = (writer.get_extra_info("peername") or ("", 0))[0]
        try:
            if self.spec.has("black_hole"):
                while await reader.read(65536):
                    pass
                return
            auth = self._connection_auth(tls, writer)
            while True:
                try:
                    req = await asyncio.wait_for(read_request(reader), IDLE_TIMEOUT)
                except TimeoutError:
                    break
                except HttpError as exc:
                    await write_response(writer, Response(exc.status, close=True))
                    break
                if req is None:
                    break
                self.count("http_requests")
                try:
                    resp = await self._respond(req, auth, tls, peer)
                except _Drop:
                    writer.transport.abort()
                    return
                if self.spec.latency_ms:
                    await asyncio.sleep(self.spec.latency_ms / 1000)
                await write_response(writer, resp)
                if resp.close or not req.keep_alive:
                    break
        except (ConnectionError, asyncio.IncompleteReadError, OSError):
            pass
        finally:
            self._conns.discard(writer)
            with contextlib.suppress(Exception):
                writer.close()

    def _connection_auth(self, tls: bool, writer: asyncio.StreamWriter) -> ConnectionAuth:
        cert_hash = self.cert.cert_hash if tls and self.cert else None
        if tls and self.spec.client_auth == "certificate":
            ssl_object = writer.get_extra_info("ssl_object")
            peer_der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
            subjects = host_subjects(self.spec.credentials.user, self.spec.cert_subjects)
            return CertificateAuth(self.policy, self.files, cert_hash, peer_der=peer_der, subjects=subjects)
        if tls and self.spec.client_auth == "credssp":
            return CredSspAuth(self.policy, self.files, cert_hash)
        if self.spec.client_auth == "kerberos" and self.spec.keytab:  # umcheck/sim/kerberos.py
            return KerberosAuth(self.policy, self.files, cert_hash, keytab=self.spec.keytab,
                                kerberos_only=self.spec.kerberos_only)
        return ConnectionAuth(self.policy, self.files, cert_hash)

    async def _respond(self, req: Request, auth: ConnectionAuth, tls: bool, peer: str) -> Response:
        if req.method != "POST" or req.path.split("?")[0].lower().rstrip("/") != "/wsman":
            return Response(404)
        challenge, extra = auth.check(req)
        if challenge is not None:
            if auth.rejected:
                self.count("auth_rejected")
            return challenge
        if self.spec.has("http_500"):
            return Response(500, b"<html><body>Internal Server Error</body></html>",
                            [("Content-Type", "text/html")])  # fmt: skip
        body = req.body
        ctx = None
        if is_encrypted(req.header("content-type")):
            ctx = auth.security_context
            if ctx is None:
                return Response(400)
            try:
                body = unwrap(ctx, body)
            except DecryptError:
                return Response(400)
        if not body:  # the empty "set up the security context" POST
            return Response(200, headers=extra)
        status, xml = await self._soap(body, tls, peer, auth.user or "")
        if ctx is not None:
            proto = protocol_of(req.header("content-type"))
            return Response(status, wrap(ctx, xml, proto), [*extra, ("Content-Type", encrypted_type(proto))])
        return Response(status, xml, [*extra, ("Content-Type", SOAP_TYPE)])

    async def _soap(self, body: bytes, tls: bool, peer: str, user: str) -> tuple[int, bytes]:
        try:
            wreq = soap.parse_request(body)
        except soap.SoapError as exc:
            fault = soap.Fault(2150858817, "w:SchemaValidationError", f"The SOAP XML in the message does not match "
                               f"the corresponding XML schema definition: {exc}", sender=True)  # fmt: skip
            return 500, fault.render(None, self.machine_name)
        try:
            if wreq.action == soap.ACTION_RECEIVE and self.spec.has("malformed_xml"):
                return 200, b'<s:Envelope xmlns:s="' + soap.NS_S.encode() + b'"><s:Body><rsp:ReceiveResponse><'
            xml = await self._dispatch(wreq, tls, peer, user)
            return 200, soap.envelope(wreq, xml)
        except soap.Fault as fault:
            self.count("timeouts" if fault.code == soap.CODE_TIMED_OUT else "faults")
            return 500, fault.render(wreq, self.machine_name)
        except _Drop:
            raise
        except Exception as exc:  # e.g. undecodable PSRP fragments: a fault, never a dead connection handler
            self.count("internal_errors")
            return 500, soap.internal_error(f"{exc.__class__.__name__}: {exc}"[:300]).render(wreq, self.machine_name)

    async def _dispatch(self, wreq: soap.WsmanRequest, tls: bool, peer: str, user: str) -> str:
        action = wreq.action
        if action == soap.ACTION_CREATE:
            return self._create(wreq, tls, peer, user)
        shell = self.shells.get(wreq.shell_id or "")
        if shell is None:
            raise soap.invalid_selectors()
        if action == soap.ACTION_DELETE:
            self.shells.pop(shell.id, None)
            shell.close()
            return ""
        if action == soap.ACTION_GET:
            return soap.shell_xml(shell.id, shell.resource_uri, user, peer, ("stdin", "stdout stderr"))
        if action == soap.ACTION_COMMAND:
            if self.spec.has("soap_fault"):
                raise soap.Fault(QUOTA_FAULT, "w:InternalError", "The WS-Management service cannot process the "
                                 "request. This user is allowed a maximum number of 1500 concurrent operations, "
                                 "which has been exceeded.", wmi_error=QUOTA_FAULT)  # fmt: skip
            return shell.command(wreq)
        if action == soap.ACTION_RECEIVE:
            if self.spec.has("drop_mid_command") and self._pipeline_receive(wreq):
                raise _Drop()
            return await shell.receive(wreq)
        if action == soap.ACTION_SEND:
            return shell.send(wreq)
        if action == soap.ACTION_SIGNAL:
            return shell.signal(wreq)
        raise soap.action_not_supported(action)

    @staticmethod
    def _pipeline_receive(wreq: soap.WsmanRequest) -> bool:
        desired = wreq.body.find(soap.q(soap.NS_RSP, "DesiredStream")) if wreq.body is not None else None
        return desired is not None and bool(desired.get("CommandId"))

    def _create(self, wreq: soap.WsmanRequest, tls: bool, peer: str, user: str) -> str:
        scheme, port = ("https", self.ports["https"]) if tls else ("http", self.ports["http"])
        endpoint = f"{scheme}://{self.address}:{port}/wsman"
        body = wreq.body
        shell: WinrsShell | PsrpShell
        if wreq.resource_uri.lower().startswith(soap.RESOURCE_PS_PREFIX.lower()):
            shell_id = (body.get("ShellId") if body is not None else None) or str(uuid.uuid4()).upper()
            creation = body.find(soap.q(soap.NS_PS, "creationXml")) if body is not None else None
            if creation is None or not creation.text:
                raise soap.Fault(2150858817, "w:SchemaValidationError", "creationXml is missing", sender=True)
            shell = PsrpShell(self.spec, shell_id, wreq.resource_uri, base64.b64decode(creation.text), self.count)
            streams = ("stdin pr", "stdout")
        else:
            shell_id = str(uuid.uuid4()).upper()
            shell = WinrsShell(self.spec, shell_id, wreq.resource_uri or soap.RESOURCE_CMD, self.count)
            streams = ("stdin", "stdout stderr")
        self.shells[shell_id] = shell
        self.count("shells")
        return soap.resource_created(wreq, endpoint, shell_id,
                                     soap.shell_xml(shell_id, wreq.resource_uri, user, peer, streams))  # fmt: skip

    def close(self) -> None:
        for shell in self.shells.values():
            shell.close()
        self.shells.clear()
        for writer in list(self._conns):
            writer.transport.abort()
