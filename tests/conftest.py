"""Shared test helpers: loopback-only networking and golden fixture discovery."""

from __future__ import annotations

import os

pytest_plugins = ("tests.postgres",)  # the PostgreSQL cluster and history_db backends fixture

# Tests only ever talk to loopback; a proxy in the environment must never see that traffic.
os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.0/8,localhost,::1"
for _var in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
    os.environ.pop(_var, None)

# A developer's ANSIBLE_* settings must not change what the tests see (ansible.cfg and
# ANSIBLE_* now feed umcheck's defaults); tests that want them set their own.
for _var in [v for v in os.environ if v.startswith("ANSIBLE_")]:
    os.environ.pop(_var, None)

# Kerberos: with python-gssapi installed, Negotiate clients may try Kerberos first, and the system
# /etc/krb5.conf (Debian's default names ATHENA.MIT.EDU and its KDCs) would send AS requests off
# the machine. Tests use a krb5.conf without realms or DNS look-ups, and a credential cache of
# their own (never the developer's); tests/integration/kerberos_auth points them at its own KDC.
_KRB5_DIR = __import__("tempfile").mkdtemp(prefix="umcheck-tests-krb5-")
__import__("atexit").register(__import__("shutil").rmtree, _KRB5_DIR, True)
with open(os.path.join(_KRB5_DIR, "krb5.conf"), "w") as _fh:
    _fh.write("[libdefaults]\n dns_lookup_kdc = false\n dns_lookup_realm = false\n rdns = false\n"
              " dns_canonicalize_hostname = false\n")
os.environ["KRB5_CONFIG"] = os.path.join(_KRB5_DIR, "krb5.conf")
os.environ["KRB5CCNAME"] = f"FILE:{_KRB5_DIR}/ccache"
os.environ.pop("KRB5_KTNAME", None)
