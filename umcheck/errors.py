"""The umcheck error tree.

Everything umcheck raises on purpose derives from ``UmcheckError``. The CLI turns a
``UsageError`` into one line on stderr and exit code 2; the runner turns a ``HostError``
into a per-host status instead of letting it escape. Library exceptions are mapped onto
this tree at one border per transport and kept as ``__cause__``.

    UmcheckError
    ├── UsageError              bad command line, inventory, playbook or input file (exit 2)
    │   └── InputError          a file that cannot be read or parsed (names file and line)
    └── HostError               something went wrong talking to one host
        ├── Unreachable         dns, refused, connect timeout
        ├── AuthFailed          wrong credentials, no usable auth mechanism
        ├── TlsError            certificate validation, handshake
        ├── ProtocolError       malformed response, HTTP 5xx, SOAP fault, dropped connection
        ├── ExecTimeout         the host's deadline passed
        └── CollectorError      the collector failed or its output is unusable
"""

from __future__ import annotations


class UmcheckError(Exception):
    """Base of every error umcheck raises on purpose."""


class UsageError(UmcheckError):
    """The user asked for something that cannot be done; exit code 2."""


class InputError(UsageError):
    """A file could not be read or parsed; the message names the file (and line)."""

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None):
        where = ""
        if path is not None:
            where = f"{path}:{line}: " if line is not None else f"{path}: "
        super().__init__(where + message)
        self.path = path
        self.line = line


class HostError(UmcheckError):
    """A failure confined to one host; becomes that host's status, never a crash."""

    kind = "error"
    transient = False


class Unreachable(HostError):
    kind = "unreachable"
    transient = True


class AuthFailed(HostError):
    kind = "auth_failed"


class TlsError(HostError):
    kind = "tls_error"


class ProtocolError(HostError):
    kind = "protocol_error"
    transient = True


class ExecTimeout(HostError):
    kind = "timeout"


class CollectorError(HostError):
    kind = "collector_error"


class EnvironmentProblem(UsageError):
    """The machine umcheck runs on refused something (disk full, no permission, read-only folder).

    Not a bug and not a host's fault: one line and exit 2, so a scheduler never reads it as "a host
    is not Ready" and nobody has to read a traceback to learn that the disk is full.
    """


_HINTS = {
    "ENOSPC": "free some space or choose another folder",
    "EDQUOT": "the disk quota is exhausted; free some space or choose another folder",
    "EACCES": "check the owner and permissions of the folder, or choose another one",
    "EPERM": "check the owner and permissions of the folder, or choose another one",
    "EROFS": "the file system is read-only; choose another folder",
    "ENOTDIR": "a part of the path is a file, not a folder",
    "EISDIR": "a folder is in the way of a file",
}


def environment_error(exc: OSError, action: str, path: object | None = None) -> EnvironmentProblem:
    """``cannot <action> <path>: <reason> (<what to do>)`` from an OSError, as one line."""
    import errno

    name = errno.errorcode.get(exc.errno or 0, "")
    where = path if path is not None else exc.filename
    reason = exc.strerror or str(exc) or exc.__class__.__name__
    hint = _HINTS.get(name)
    text = f"cannot {action}" + (f" {where}" if where is not None else "") + f": {reason}"
    return EnvironmentProblem(text + (f" ({hint})" if hint else ""))
