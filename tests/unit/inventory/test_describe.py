"""``inventory --connection`` / ``scan -vv``: readable settings, the password only "set"."""

from __future__ import annotations

from umcheck.inventory.connection import ConnectionSettings
from umcheck.inventory.describe import render


def test_winrm_https_settings_read_like_the_ansible_variables():
    text = render(ConnectionSettings(name="w1", host="10.0.0.1", connection="winrm", port=5986, scheme="https",
                                     user="CORP\\adm", password="S3cret!pw", os="windows", winrm_transport=("ntlm",),
                                     cert_validation=False, connect_timeout=15))  # fmt: skip
    assert "S3cret!pw" not in text and "password                    set" in text
    assert "endpoint                    https://10.0.0.1:5986/wsman" in text
    assert "TLS certificate validation  off (turned off for this host)" in text
    assert "timeouts                    connect 15s" in text and "ConnectionSettings(" not in text


def test_ssh_settings_show_host_key_checking_and_no_tls_lines():
    text = render(ConnectionSettings(name="l1", host="10.0.0.2", connection="ssh", user="root",
                                     ssh_private_key_file="~/.ssh/id_ed25519"))  # fmt: skip
    assert text.splitlines()[0] == "l1:"
    assert "SSH host key checking  on" in text and "private key            ~/.ssh/id_ed25519" in text
    assert "TLS" not in text and "password               not set" in text
