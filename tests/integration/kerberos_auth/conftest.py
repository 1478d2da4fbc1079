"""A per-session MIT KDC on 127.0.0.1 (umcheck/sim/kdc.py) with users and HTTP/<fqdn> keytabs.

Without krb5kdc/kadmin.local or the python Kerberos libraries these tests skip, unless
UMCHECK_REQUIRE_KERBEROS=1 (CI), where they fail instead.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "transports"))

from umcheck.sim import kdc as kdcmod  # noqa: E402
from umcheck.transports import kerberos  # noqa: E402

USER, PASSWORD = "alice", "Krb-Pass-4711"
OTHER, OTHER_PASSWORD = "bob", "Krb-Bob-0815"


def _missing() -> str | None:
    problem = kdcmod.available()
    libs = [m for m in ("gssapi", "kerberos") if importlib.util.find_spec(m) is None]
    if libs:
        problem = (problem + "; " if problem else "") + f"python modules missing: {', '.join(libs)} " \
            "(pip install -e '.[kerberos]')"
    if problem is None and not kerberos.shutil.which("kinit"):
        problem = "kinit missing (apt-get install krb5-user)"
    return problem


def require_kerberos() -> None:
    """Skip (fail with UMCHECK_REQUIRE_KERBEROS=1) when no KDC or client Kerberos is available here."""
    problem = _missing()
    if problem:
        if os.environ.get("UMCHECK_REQUIRE_KERBEROS") == "1":
            pytest.fail(f"UMCHECK_REQUIRE_KERBEROS=1 but no Kerberos here: {problem}")
        pytest.skip(f"no Kerberos here: {problem}")


class Realm:
    def __init__(self, kdc: kdcmod.MiniKdc):
        self.kdc = kdc
        self.realm = kdc.realm
        self.keytabs: dict[str, str] = {}

    def fqdn(self, name: str) -> str:
        return f"{name}.{self.kdc.domain}"

    def keytab_for(self, name: str) -> str:
        """HTTP/<name>.umcheck.test in the KDC and in a keytab of its own (created once)."""
        if name not in self.keytabs:
            path = self.kdc.dir / f"{name}.keytab"
            self.kdc.add_service(self.fqdn(name), path)
            # pypsrp asks for WSMAN/<fqdn>, which Windows maps to the computer account's HOST/ SPN
            self.kdc.add_service(self.fqdn(name), path, service="host")
            self.keytabs[name] = str(path)
        return self.keytabs[name]

    def upn(self, user: str = USER) -> str:
        return f"{user}@{self.realm}"


@pytest.fixture(scope="session")
def krb_realm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Realm]:
    require_kerberos()
    kdc = kdcmod.MiniKdc(tmp_path_factory.mktemp("kdc"))
    kdc.start()
    saved = {k: os.environ.get(k) for k in (*kdc.env, "KRB5CCNAME", "KRB5_KTNAME")}
    os.environ.update(kdc.env)
    # never the user's default cache: anything not managed goes to a cache inside the test realm
    os.environ["KRB5CCNAME"] = f"FILE:{kdc.dir}/default-ccache"
    try:
        kdc.add_user(USER, PASSWORD)
        kdc.add_user(OTHER, OTHER_PASSWORD)
        yield Realm(kdc)
    finally:
        kerberos.reset()
        kdc.stop()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@pytest.fixture
def krb(krb_realm: Realm) -> Iterator[Realm]:
    """The realm with fresh managed-ticket state and a private default cache per test."""
    kerberos.reset()
    os.environ["KRB5CCNAME"] = f"FILE:{krb_realm.kdc.dir}/default-ccache"
    yield krb_realm
    kerberos.reset()
    os.environ["KRB5CCNAME"] = f"FILE:{krb_realm.kdc.dir}/default-ccache"
