"""Kerberos for the WinRM and PSRP transports: principals, managed kinit, error classification.

Both libraries authenticate through their own Kerberos support (pywinrm 0.5.0: its vendored
requests_kerberos on pykerberos; pypsrp 0.9.1: pyspnego on python-gssapi) and read tickets from
the credential cache named by ``KRB5CCNAME``. Modes, as Ansible's ``ansible_winrm_kinit_mode``:

* ``managed`` (default when the inventory has a password): umcheck runs ``kinit`` once per
  principal and run into a PRIVATE ``DIR:`` credential-cache collection in a 0700 temp dir, and
  points ``KRB5CCNAME`` of this process at it; every host of that principal then reuses the one
  TGT (one AS request per run). The user's own default cache is never read or written; the
  directory is removed at exit.
* ``manual`` (default without a password): an existing ticket - the default cache or
  ``KRB5CCNAME`` - is used as it is.

Library errors become one-line ``AuthFailed`` reasons an admin can act on (``classify``).
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import tempfile
import threading

from umcheck.errors import AuthFailed, HostError

_LOCK = threading.Lock()
_STATE: dict[str, object] = {"dir": None, "done": set()}

# (substring of the Kerberos/GSSAPI message, lower-case) -> what it means for the admin
REASONS: tuple[tuple[str, str], ...] = (
    ("password incorrect", "Kerberos: wrong password for {principal} (KDC: pre-authentication failed)"),
    ("preauthentication failed", "Kerberos: wrong password for {principal} (KDC: pre-authentication failed)"),
    ("pre-authentication", "Kerberos: wrong password for {principal} (KDC: pre-authentication failed)"),
    ("decrypt integrity check failed", "Kerberos: wrong password for {principal} (KDC: pre-authentication failed)"),
    ("client '", "Kerberos: principal {principal} unknown to the KDC (check ansible_user: user@REALM)"),
    ("client not found", "Kerberos: principal {principal} unknown to the KDC (check ansible_user: user@REALM)"),
    ("server not found", "Kerberos: no service principal {spn} in the KDC (register the SPN: setspn -S "
                         "HTTP/<fqdn> <computer>, or set ansible_winrm_kerberos_hostname_override)"),
    ("not found in kerberos database", "Kerberos: no service principal {spn} in the KDC (register the SPN: "
                                       "setspn -S HTTP/<fqdn> <computer>, or fix ansible_winrm_kerberos_hostname_override)"),
    ("clock skew", "Kerberos: clock skew too great between this controller, the KDC or the host (sync time/NTP)"),
    ("cannot contact any kdc", "Kerberos: no KDC reachable for the realm of {principal} (krb5.conf [realms] "
                               "kdc, DNS SRV, firewall port 88)"),
    ("cannot find kdc", "Kerberos: no KDC reachable for the realm of {principal} (krb5.conf [realms] kdc)"),
    ("ticket expired", "Kerberos: the ticket has expired (kinit again, or use ansible_winrm_kinit_mode: managed)"),
    ("credential has expired", "Kerberos: the ticket has expired (kinit again, or use ansible_winrm_kinit_mode: "
                               "managed)"),
    ("credentials cache", "Kerberos: no ticket for {principal} in the credential cache (kinit first, or give "
                          "a password for managed kinit)"),
    ("no credentials were supplied", "Kerberos: no ticket for {principal} in the credential cache (kinit first, "
                                     "or give a password for managed kinit)"),
    ("no kerberos credentials", "Kerberos: no ticket for {principal} in the credential cache (kinit first, or "
                                "give a password for managed kinit)"),
    ("can't find client principal", "Kerberos: no ticket for {principal} in the credential cache (kinit first, "
                                    "or give a password for managed kinit)"),
    ("matching credential not found", "Kerberos: no ticket for {principal} in the credential cache (kinit first, "
                                      "or give a password for managed kinit)"),
    ("key version", "Kerberos: the host's keytab does not match the KDC (kvno); rejoin or reset the computer "
                    "account"),
    ("wrong principal in request", "Kerberos: the host's keytab has no key for {spn} (SPN registered on another "
                                   "account?)"),
)


def principal(user: str | None) -> str | None:
    """``DOMAIN\\user`` -> ``user@DOMAIN``; ``user@dom.example`` -> ``user@DOM.EXAMPLE`` (realms are upper case)."""
    if not user:
        return None
    if "\\" in user:
        domain, _, name = user.partition("\\")
        return f"{name}@{domain.upper()}"
    if "@" in user:
        name, _, realm = user.rpartition("@")
        return f"{name}@{realm.upper()}"
    return user


def kinit_mode(mode: str | None, password: str | None) -> str:
    return mode or ("managed" if password else "manual")


def classify(text: str, principal_name: str | None = None, spn: str | None = None) -> str | None:
    """The admin-facing reason for a Kerberos/GSSAPI message, or None when it is not one we know."""
    low = text.lower()
    for needle, reason in REASONS:
        if needle in low:
            return reason.format(principal=principal_name or "the user", spn=spn or "HTTP/<host>")
    return None


def auth_error(exc: BaseException, principal_name: str | None = None, spn: str | None = None) -> AuthFailed | None:
    """AuthFailed for a Kerberos failure anywhere in the exception chain, else None."""
    seen: set[int] = set()
    cur: BaseException | None = exc
    todo = [exc]
    while todo:
        cur = todo.pop()
        if cur is None or id(cur) in seen:
            continue
        seen.add(id(cur))
        mod = type(cur).__module__ or ""
        if any(m in mod for m in ("kerberos", "gssapi", "spnego", "krb5")) or "kerberos" in str(cur).lower() \
                or "gss" in type(cur).__name__.lower():
            reason = classify(_text(cur), principal_name, spn)
            if reason:
                return AuthFailed(reason)
        todo.extend(x for x in (cur.__cause__, cur.__context__, *cur.args) if isinstance(x, BaseException))
    return None


def _text(exc: BaseException) -> str:
    parts = [str(exc)]
    for attr in ("message", "context_message", "base_error"):
        val = getattr(exc, attr, None)
        if val:
            parts.append(str(val))
    return " ".join(parts)


def _private_dir() -> str:
    d = _STATE["dir"]
    if d is None:
        d = tempfile.mkdtemp(prefix="umcheck-krb5-")
        os.chmod(d, 0o700)
        _STATE["dir"] = d
        atexit.register(shutil.rmtree, d, True)
    return str(d)


def ccache_name() -> str:
    """The run's private credential-cache collection (created on first use)."""
    return f"DIR:{_private_dir()}/cc"


def ensure_ticket(user: str | None, password: str | None, mode: str | None, timeout: float = 30.0) -> str | None:
    """Make a TGT available for ``user``; returns the principal name. Raises AuthFailed."""
    princ = principal(user)
    if kinit_mode(mode, password) != "managed":
        return princ
    if not princ or not password:
        raise AuthFailed("Kerberos managed kinit needs ansible_user (user@REALM) and ansible_password")
    with _LOCK:
        done: set = _STATE["done"]  # type: ignore[assignment]
        if (princ, password) in done:
            return princ
        kinit = shutil.which("kinit")
        if kinit is None:
            raise AuthFailed("Kerberos managed kinit needs the 'kinit' program (apt-get install krb5-user)")
        cache = ccache_name()
        os.makedirs(cache.removeprefix("DIR:"), mode=0o700, exist_ok=True)
        env = {**os.environ, "KRB5CCNAME": cache, "LANG": "C", "LC_ALL": "C"}
        try:
            res = subprocess.run([kinit, "-c", cache, princ], input=password + "\n", env=env, capture_output=True,
                                 text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AuthFailed(f"Kerberos: no KDC answered within {timeout:g} s for {princ}") from None
        if res.returncode != 0:
            msg = (res.stderr or res.stdout).replace(password, "***")
            reason = classify(msg, princ) or f"Kerberos: kinit for {princ} failed: {' '.join(msg.split())[:200]}"
            raise AuthFailed(reason)
        os.environ["KRB5CCNAME"] = cache  # the libraries read it at call time; private to this run
        done.add((princ, password))
    return princ


def reset() -> None:
    """Forget the managed tickets (tests); the cache directory is removed."""
    with _LOCK:
        d = _STATE["dir"]
        if d is not None:
            shutil.rmtree(str(d), ignore_errors=True)
        if os.environ.get("KRB5CCNAME", "").startswith(f"DIR:{d}"):
            os.environ.pop("KRB5CCNAME", None)
        _STATE["dir"], _STATE["done"] = None, set()


def wanted(settings) -> bool:  # type: ignore[no-untyped-def]
    """Whether this WinRM/PSRP host authenticates with Kerberos (tickets, not the NTLM password)."""
    if settings.connection == "winrm":
        from umcheck.transports.winrm import choose_auth

        try:
            return choose_auth(settings) == "kerberos"
        except AuthFailed:
            return False
    auth = settings.psrp_auth or "negotiate"
    return auth == "kerberos" or (auth == "negotiate" and bool(settings.kerberos_hostname_override
                                                               or settings.kinit_mode))


def transport_error(exc: BaseException, settings, host: str) -> AuthFailed | None:  # type: ignore[no-untyped-def]
    """The Kerberos reason for a transport exception of a Kerberos host, else None."""
    if isinstance(exc, AuthFailed) or not wanted(settings):
        return None
    return auth_error(exc, principal(settings.user), spn(settings, host))


def spn(settings, host: str) -> str:  # type: ignore[no-untyped-def]
    """The service principal the client library asks the KDC for."""
    service = "HTTP" if settings.connection == "winrm" else "host"  # pywinrm: HTTP/; pypsrp: host/ (WSMAN)
    return f"{service}/{settings.kerberos_hostname_override or host}"


def host_rejected(error: BaseException, settings, host: str) -> AuthFailed | None:  # type: ignore[no-untyped-def]
    """A plain 401 from a Kerberos host: the KDC issued the ticket, but the host could not accept it."""
    if not isinstance(error, AuthFailed) or not str(error).startswith("credentials rejected by the host") \
            or not wanted(settings):
        return None
    name = spn(settings, host)
    return AuthFailed(f"Kerberos: the host refused the ticket for {name} (its keytab lacks that key or has an older "
                      f"kvno: SPN on another account - setspn -Q {name} - or a stale computer account; or the user "
                      "may not use WinRM there)")


async def prepare(settings) -> None:  # type: ignore[no-untyped-def]
    """Managed kinit off the event loop (a KDC may take seconds); ``_build`` then finds the ticket."""
    if settings.connection in ("winrm", "psrp") and wanted(settings) \
            and kinit_mode(settings.kinit_mode, settings.password) == "managed":
        import asyncio

        await asyncio.to_thread(ensure_ticket, settings.user, settings.password, settings.kinit_mode)


def map_host_error(exc: BaseException, settings, answered: bool, base_map) -> HostError:  # type: ignore[no-untyped-def]
    """The transport border for a WinRM/PSRP host: the Kerberos reason first (a gssapi error, or a
    401 despite a ticket), else what ``base_map`` (the transport's own ``map_error``) makes of it."""
    from umcheck.transports.neterrors import wrap

    secrets = (settings.password,)
    krb = transport_error(exc, settings, settings.host)
    if krb is not None:
        return wrap(krb, exc, secrets)
    error = base_map(exc, answered=answered, secrets=secrets)
    krb = host_rejected(error, settings, settings.host)
    return wrap(krb, exc, secrets) if krb is not None else error
