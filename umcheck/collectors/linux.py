#!/usr/bin/env python3
# UMCHECK-COLLECTOR linux 1
"""umcheck Linux fact collector (facts contract v1): read-only, stdlib only, python3 >= 3.6.

Reads files under / (or --root DIR, for tests) and /proc, probes the agent's endpoints in
parallel with a per-probe timeout, and prints one JSON facts document between the umcheck
marker lines. It never writes a file, never starts a process and never runs a package manager.
Run by hand: ``sudo python3 linux.py > facts.txt`` then ``umcheck evaluate facts.txt``.
"""

import base64
import hashlib
import json
import os
import re
import socket
import ssl
import sys
import threading
import time

BEGIN = "<<<UMCHECK-FACTS-BEGIN>>>"
END = "<<<UMCHECK-FACTS-END>>>"
COLLECTOR_VERSION = "1.0.0"
MAX_READ = 1024 * 1024
SECTIONS = ("os", "dmi", "oms_agent", "workspaces", "worker", "current_mof", "proxy", "repos", "probes")

OMSADMIN = "/etc/opt/microsoft/omsagent/conf/omsadmin.conf"
OMSAGENT_LOG = "/var/opt/microsoft/omsagent/log/omsagent.log"
OMS_VAR = "/var/opt/microsoft/omsagent"
AGENT_CERT = "/etc/opt/microsoft/omsagent/certs/oms.crt"
WORKER_MODULE = "/opt/microsoft/omsconfig/modules/nxOMSAutomationWorker"
WORKER_CONFIGURATION_PY = (WORKER_MODULE + "/DSCResources/MSFT_nxOMSAutomationWorkerResource"
                           "/automationworker/worker/configuration.py")
CURRENT_MOF = "/etc/opt/omi/conf/omsconfig/configuration/Current.mof"
AGENT_PROXY_FILES = ("/etc/opt/microsoft/omsagent/proxy.conf", "/etc/opt/microsoft/omsagent/conf/proxy.conf")
PROXY_ENV = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY",
             "http_proxy", "https_proxy", "all_proxy", "no_proxy")
IMDS_URL = "http://169.254.169.254/metadata/instance?api-version=2018-02-01"
INTERNET_HOST = "bing.com"
WORKSPACE_CAP = 4
_USERINFO = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://)?[^@/\s]+@")
_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class CollectorFailure(Exception):
    """A section could not be read; the message goes to collector.errors."""


# ------------------------------------------------------------------------------------------
# Parameters and file access


def decode_params(blob):
    if not blob:
        return {}
    doc = json.loads(base64.b64decode(blob.strip().encode("ascii"), validate=True).decode("utf-8"))
    if not isinstance(doc, dict):
        raise ValueError("params are not a JSON object")
    return doc


class Host(object):
    """File-system view of the host (optionally under a test root); every read is bounded."""

    def __init__(self, root):
        self.root = root or ""

    def path(self, p):
        return os.path.join(self.root, p.lstrip("/")) if self.root else p

    def exists(self, p):
        return os.path.exists(self.path(p))

    def isdir(self, p):
        return os.path.isdir(self.path(p))

    def listdir(self, p):
        try:
            return sorted(os.listdir(self.path(p)))
        except OSError:
            return []

    def read_bytes(self, p, limit=MAX_READ):
        try:
            with open(self.path(p), "rb") as fh:
                return fh.read(limit)
        except OSError as exc:
            raise CollectorFailure("cannot read %s: %s" % (p, exc.strerror or exc.__class__.__name__))

    def read_text(self, p, limit=MAX_READ):
        return self.read_bytes(p, limit).decode("utf-8", "replace")

    def read_optional(self, p):
        """Text of a file, or None when it does not exist (unreadable still raises)."""
        if not os.path.lexists(self.path(p)):
            return None
        return self.read_text(p)


def redact(url):
    """Drop credentials from a proxy URL: http://user:pass@host -> http://***@host."""
    if not url:
        return url
    return _USERINFO.sub(lambda m: (m.group(1) or "") + "***@", url.strip(), count=1)


def url_host(url):
    """Host part of a URL (or of a bare host[:port]); None when there is none."""
    m = re.match(r"^\s*(?:[A-Za-z][A-Za-z0-9+.-]*://)?(?:[^@/\s]*@)?(\[[^\]]+\]|[^:/\s?#]+)", url or "")
    return m.group(1).strip("[]") if m else None


# ------------------------------------------------------------------------------------------
# Processes (/proc) and users (/etc/passwd)


def processes(host):
    """[(pid, uid, argv)] from /proc; unreadable entries (races, permissions) are skipped."""
    out = []
    for name in host.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            raw = host.read_bytes("/proc/%s/cmdline" % name, 64 * 1024)
        except CollectorFailure:
            continue
        argv = [a.decode("utf-8", "replace") for a in raw.split(b"\0") if a]
        uid = None
        try:
            for line in host.read_text("/proc/%s/status" % name, 16 * 1024).splitlines():
                if line.startswith("Uid:"):
                    uid = int(line.split()[1])
                    break
        except (CollectorFailure, ValueError, IndexError):
            pass
        if argv:
            out.append((int(name), uid, argv))
    return out


def passwd_uid(host, user):
    text = host.read_optional("/etc/passwd") or ""
    for line in text.splitlines():
        parts = line.split(":")
        if len(parts) > 2 and parts[0] == user:
            try:
                return int(parts[2])
            except ValueError:
                return -1
    return None


# ------------------------------------------------------------------------------------------
# Sections


def parse_kv(text, seps="="):
    out = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        for sep in seps:
            if sep in line:
                key, value = line.split(sep, 1)
                key = key.strip()
                if _KEY.match(key) and key not in out:
                    out[key] = value.strip().strip('"')
                break
    return out


def section_os(host):
    text = host.read_optional("/etc/os-release")
    if text is None:
        text = host.read_optional("/usr/lib/os-release")
    if text is None:
        raise CollectorFailure("no /etc/os-release or /usr/lib/os-release")
    kv = parse_kv(text)
    os_id = kv.get("ID", "").lower()
    return {"id": "oracle" if os_id == "ol" else os_id, "version_id": kv.get("VERSION_ID", ""),
            "pretty_name": kv.get("PRETTY_NAME")}


def section_dmi(host):
    try:
        tag = host.read_text("/sys/class/dmi/id/chassis_asset_tag", 4096).strip()
    except CollectorFailure:
        return {"readable": False, "asset_tag": None}
    return {"readable": True, "asset_tag": tag or None}


class State(object):
    """What several sections share: omsadmin.conf, the primary workspace, the process list."""

    def __init__(self, host):
        self.host = host
        self._conf = None
        self._conf_error = None
        self._procs = None

    def conf(self):
        if self._conf is None and self._conf_error is None:
            try:
                text = self.host.read_optional(OMSADMIN)
                self._conf = parse_kv(text) if text is not None else {}
                self._conf_lines = (text or "").splitlines()
            except CollectorFailure as exc:
                self._conf_error = str(exc)
                self._conf_lines = []
        if self._conf_error:
            raise CollectorFailure(self._conf_error)
        return self._conf

    def conf_or_empty(self):
        try:
            return self.conf()
        except CollectorFailure:
            return {}

    def conf_line_with(self, needle):
        self.conf_or_empty()
        return next((line for line in self._conf_lines if needle in line), None)

    def workspace_dirs(self):
        return [d for d in self.host.listdir(OMS_VAR) if len(d) >= 32 and self.host.isdir(OMS_VAR + "/" + d)]

    def workspace(self):
        ws = self.conf_or_empty().get("WORKSPACE_ID")
        if ws:
            return ws
        dirs = self.workspace_dirs()
        return dirs[0] if len(dirs) == 1 else None

    def workspaces(self):
        out = [w for w in [self.workspace()] + self.workspace_dirs() if w]
        return list(dict.fromkeys(out))[:WORKSPACE_CAP]

    def procs(self):
        if self._procs is None:
            self._procs = processes(self.host)
        return self._procs

    def cloud(self, params):
        oms = self.conf_or_empty().get("OMS_ENDPOINT", "")
        if ".us" in oms:
            return "usgov"
        if ".cn" in oms:
            return "china"
        return params.get("cloud") or "public"


def section_oms_agent(state):
    host = state.host
    conf = state.conf()
    running = any(
        any("omsagent" in a for a in argv) and any("omsagent.log" in a or "omsagent.conf" in a for a in argv)
        for _pid, _uid, argv in state.procs()
    )
    return {"omsadmin_conf_present": host.exists(OMSADMIN), "log_present": host.exists(OMSAGENT_LOG),
            "conf": dict((k, redact(v)) for k, v in conf.items()), "running": running}


def section_workspaces(state):
    return {"base_dir_present": state.host.isdir(OMS_VAR), "dirs": state.workspace_dirs()}


def _worker_conf_path(state, ws):
    candidates = []
    if ws:
        candidates.append("%s/%s/state/automationworker/worker.conf" % (OMS_VAR, ws))
    candidates.append(OMS_VAR + "/state/automationworker/worker.conf")
    return next((p for p in candidates if state.host.exists(p)), None)


def jrds_base_uri(state):
    path = _worker_conf_path(state, state.workspace())
    if path is None:
        return None
    line = next((ln for ln in state.host.read_text(path).splitlines() if "jrds_base_uri" in ln), None)
    if line is None:
        return None
    value = re.split(r"[=:]", line, 1)[1].strip() if re.search(r"[=:]", line) else ""
    return value or None


def jrds_cert_matches(state):
    """worker.conf's jrds_cert_thumbprint against the SHA-1 of the agent certificate; None if unknown."""
    path = _worker_conf_path(state, state.workspace())
    if path is None or not state.host.exists(AGENT_CERT):
        return None
    try:
        line = next((ln for ln in state.host.read_text(path).splitlines() if "jrds_cert_thumbprint" in ln), None)
        if line is None or not re.search(r"[=:]", line):
            return None
        recorded = re.sub(r"[^0-9A-Fa-f]", "", re.split(r"[=:]", line, 1)[1]).upper()
        der = ssl.PEM_cert_to_DER_cert(state.host.read_text(AGENT_CERT))
    except (OSError, ValueError):
        return None
    return bool(recorded) and recorded == hashlib.sha1(der).hexdigest().upper()


def section_worker(state):
    host = state.host
    ws = state.workspace()
    version = None
    if host.exists(WORKER_MODULE + "/VERSION"):
        version = host.read_text(WORKER_MODULE + "/VERSION", 4096).strip() or None
    uid = passwd_uid(host, "nxautomation")
    manager = hybrid = other = False
    for _pid, puid, argv in state.procs():
        line = " ".join(argv)
        is_manager = "automationworker/worker/main.py" in line or "worker/main.py" in line
        is_hybrid = "worker/hybridworker.py" in line
        if not (is_manager or is_hybrid):
            continue
        m = re.search(r"rworkspace:([0-9A-Za-z-]+)", line)
        proc_ws = m.group(1) if m else None
        if ws and proc_ws and proc_ws.lower() != ws.lower():
            other = True
            continue
        if uid is not None and puid is not None and puid != uid:
            continue
        if is_manager:
            manager = True
        if is_hybrid and "worker.conf" in line and "managed" in line:
            hybrid = True
    oms_conf = host.exists(OMS_VAR + "/state/automationworker/oms.conf") or bool(
        ws and host.exists("%s/%s/state/automationworker/oms.conf" % (OMS_VAR, ws)))
    return {"version_file": host.exists(WORKER_MODULE + "/VERSION"),
            "configuration_py": host.exists(WORKER_CONFIGURATION_PY), "version": version,
            "nxautomation_user": uid is not None, "manager_running": manager, "hybridworker_running": hybrid,
            "other_workspace_workers": other, "oms_conf_present": oms_conf,
            "worker_conf_present": _worker_conf_path(state, ws) is not None, "jrds_base_uri": jrds_base_uri(state),
            "jrds_cert_thumbprint_matches": jrds_cert_matches(state)}


def mof_text(raw):
    if b"\0" in raw:
        return raw.decode("utf-16-le", "replace").lstrip("\ufeff")
    return raw.decode("utf-8", "replace").lstrip("\ufeff")


def parse_resource_settings(line):
    """The JSON array of a MOF ``ResourceSettings = "...";`` line, or None when malformed."""
    value = line.split("=", 1)[1].strip() if "=" in line else ""
    value = value.rstrip(";").strip()
    if value.startswith('"') and value.endswith('"') and len(value) >= 2:
        value = value[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    try:
        doc = json.loads(value)
    except ValueError:
        return None
    return doc if isinstance(doc, list) else [doc] if isinstance(doc, dict) else None


def section_current_mof(state):
    host = state.host
    out = {"present": host.exists(CURRENT_MOF), "path": CURRENT_MOF, "has_resource_settings": False,
           "workspace_id": None, "updates_enabled": None, "automation_enabled": None}
    if not out["present"]:
        return out
    text = mof_text(host.read_bytes(CURRENT_MOF, 4 * MAX_READ))
    line = next((ln for ln in text.splitlines() if "ResourceSettings" in ln), None)
    if line is None:
        return out
    out["has_resource_settings"] = True
    settings = parse_resource_settings(line)
    first = settings[0] if settings and isinstance(settings[0], dict) else {}
    solutions = first.get("Solutions") if isinstance(first.get("Solutions"), dict) else {}

    def enabled(name):
        value = solutions.get(name, {}).get("Enabled") if isinstance(solutions.get(name), dict) else None
        if isinstance(value, str):
            return value.strip().lower() == "true"
        return value if isinstance(value, bool) else None

    ws = first.get("WorkspaceId")
    out.update(workspace_id=ws if isinstance(ws, str) else None, updates_enabled=enabled("Updates"),
               automation_enabled=enabled("AzureAutomation"))
    return out


def agent_proxy(host):
    for path in AGENT_PROXY_FILES:
        text = host.read_optional(path)
        if text is None:
            continue
        line = next((ln.strip() for ln in text.splitlines() if ln.strip() and not ln.strip().startswith("#")), "")
        return (line or None), path
    return None, None


def section_proxy(state):
    env = dict((k, redact(os.environ[k])) for k in PROXY_ENV if os.environ.get(k))
    proxy, path = agent_proxy(state.host)
    return {"env": env, "agent_proxy": redact(proxy), "agent_proxy_path": path}


# -- repositories (read the package manager's files; never run it)

def repo_family(os_id, id_like):
    ids = [os_id] + id_like.split()
    if any(i in ("ubuntu", "debian") for i in ids):
        return "debian"
    if any(i in ("rhel", "centos", "oracle", "ol", "fedora", "rocky", "almalinux", "amzn") for i in ids):
        return "rhel"
    if any(i.startswith("sles") or i.startswith("suse") or i.startswith("opensuse") for i in ids):
        return "suse"
    return None


def apt_urls(host):
    urls = []
    files = ["/etc/apt/sources.list"] + ["/etc/apt/sources.list.d/" + f
                                        for f in host.listdir("/etc/apt/sources.list.d")
                                        if f.endswith(".list") or f.endswith(".sources")]
    for path in files:
        text = host.read_optional(path)
        if text is None:
            continue
        if path.endswith(".sources"):
            for stanza in re.split(r"\n\s*\n", text):
                kv = parse_kv(stanza, ":")
                if kv.get("Enabled", "yes").lower() != "no":
                    urls.extend(kv.get("URIs", "").split())
            continue
        for line in text.splitlines():
            words = re.sub(r"\[[^\]]*\]", " ", line.split("#", 1)[0]).split()
            if len(words) >= 2 and words[0] in ("deb", "deb-src"):
                urls.append(words[1])
    return urls


def ini_baseurls(host, directory):
    urls = []
    for name in host.listdir(directory):
        if not name.endswith(".repo"):
            continue
        text = host.read_text(directory + "/" + name)
        for block in re.split(r"^\s*\[", text, flags=re.M):
            kv = dict((k.lower(), v) for k, v in parse_kv(block).items())
            if kv.get("enabled", "1").strip() in ("0", "false", "no"):
                continue
            urls.extend(u for u in re.split(r"[\s,]+", kv.get("baseurl", "")) if u)
    return urls


def repo_urls(host, family):
    if family == "debian":
        return apt_urls(host)
    directory = "/etc/yum.repos.d" if family == "rhel" else "/etc/zypp/repos.d"
    if not host.isdir(directory):
        raise CollectorFailure("%s does not exist" % directory)
    return ini_baseurls(host, directory)


def section_repos(state):
    kv = parse_kv(state.host.read_optional("/etc/os-release") or "")
    family = repo_family(kv.get("ID", "").lower(), kv.get("ID_LIKE", "").lower())
    out = {"family": family, "listing_ok": True, "listing_error": None, "urls": [], "probes": []}
    if family is None:
        return out
    try:
        urls = repo_urls(state.host, family)
    except CollectorFailure as exc:
        out.update(listing_ok=False, listing_error=str(exc))
        return out
    seen = []
    for url in urls:
        m = re.match(r"^(https?)://([^/\s]+)", url)
        if m and "$" not in m.group(2):
            base = "%s://%s" % (m.group(1), redact(m.group(2)).replace("***@", ""))
            if base not in seen:
                seen.append(base)
    out["urls"] = seen
    return out


# ------------------------------------------------------------------------------------------
# Probes


def probe_plan(state, params, proxy):
    """Probe specs: what the machine itself records, then the controller's templates."""
    specs = []
    ws = state.workspace()

    def add(name, target, port=443, kind="tcp", via="direct", workspace=None, method="GET", headers=None):
        key = (name, target, port, kind, via)
        if not any(s["key"] == key for s in specs):
            specs.append({"key": key, "name": name, "target": target, "port": port, "kind": kind, "via": via,
                          "workspace": workspace, "method": method, "headers": headers or {}})

    line = state.conf_line_with("agentsvc")
    if line:
        add("agentsvc", url_host(line.split("=", 1)[-1]), workspace=ws)
    cloud = state.cloud(params)
    w = ws or "*"
    if cloud == "usgov":
        las = ["usge-jobruntimedata-prod-1.usgovtrafficmanager.net", "usge-agentservice-prod-1.usgovtrafficmanager.net",
               w + ".ods.opinsights.azure.us", w + ".oms.opinsights.azure.us"]
    else:
        tld = "azure.cn" if cloud == "china" else "azure.com"
        las = [w + ".ods.opinsights." + tld, w + ".oms.opinsights." + tld]
    for i, target in enumerate(las):
        add("la%d" % (i + 1), target, workspace=ws if "opinsights" in target else None)
    try:
        jrds = url_host(jrds_base_uri(state) or "")
    except CollectorFailure:
        jrds = None
    if jrds:
        add("jrds", jrds)
    add("internet", INTERNET_HOST)
    for via in ["direct"] + (["proxy"] if proxy else []):
        add("imds", IMDS_URL, port=80, kind="http", via=via, headers={"Metadata": "true"})
    for t in params.get("endpoints") or []:
        template, kind = t.get("template", ""), t.get("kind", "tcp")
        port = t.get("port", 80 if kind == "http" else 443)
        targets = [(template.replace("{workspace}", x), x) for x in state.workspaces()] \
            if "{workspace}" in template else [(template, None)]
        for target, x in targets:
            for via in ["direct"] + (["proxy"] if proxy and kind != "tcp" else []):
                add(t.get("name", "endpoint"), target, port, kind, via, x,
                    headers={"Metadata": "true"} if t.get("name") == "imds" else None)
    return specs


def _override(params, host, port):
    overrides = params.get("probe_overrides") or {}
    value = overrides.get(host) or overrides.get("*")
    if not value:
        return host, port
    h, _, p = value.rpartition(":")
    return (h or value), int(p) if p.isdigit() else port


def _classify(exc):
    if isinstance(exc, socket.gaierror):
        return "dns"
    if isinstance(exc, socket.timeout):
        return "timeout"
    if isinstance(exc, ssl.SSLError) or isinstance(exc, ssl.CertificateError):
        return "tls"
    if isinstance(exc, ConnectionRefusedError):
        return "refused"
    if isinstance(exc, ConnectionResetError) or isinstance(exc, BrokenPipeError):
        return "reset"
    return "other"


class Deadline(object):
    def __init__(self, seconds):
        self.end = time.monotonic() + seconds

    def left(self):
        left = self.end - time.monotonic()
        if left <= 0:
            raise socket.timeout("timed out")
        return left


def _connect(params, host, port, deadline):
    host, port = _override(params, host, port)
    sock = socket.create_connection((host, port), timeout=deadline.left())
    sock.settimeout(deadline.left())
    return sock


def _read_status(sock, deadline):
    data = b""
    while b"\r\n" not in data and len(data) < 8192:
        sock.settimeout(deadline.left())
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    m = re.match(rb"^HTTP/\d(?:\.\d)?\s+(\d{3})", data)
    if not m:
        raise ValueError("no HTTP status line in the reply")
    return int(m.group(1))


# Statuses only a proxy gives to a plain HTTP request sent through it (docs/facts.md).
PROXY_OWN_STATUSES = (407, 502, 504)


def _parse_proxy(proxy):
    m = re.match(r"^(?:([A-Za-z]+)://)?(?:[^@/\s]*@)?([^:/\s]+)(?::(\d+))?", proxy or "")
    if not m:
        return None
    return m.group(2), int(m.group(3) or 8080)


def _http_probe(spec, params, proxy, deadline):
    m = re.match(r"^(https?)://([^/:?#]+)(?::(\d+))?([^#]*)$", spec["target"])
    if not m:
        raise ValueError("not an http(s) URL")
    scheme, host, port = m.group(1), m.group(2), int(m.group(3) or (443 if m.group(1) == "https" else 80))
    path = m.group(4) or "/"
    if spec["via"] == "proxy":
        phost, pport = _parse_proxy(proxy)
        sock = _connect(params, phost, pport, deadline)
        if scheme == "https":
            sock.sendall(("CONNECT %s:%d HTTP/1.1\r\nHost: %s:%d\r\n\r\n" % (host, port, host, port)).encode("ascii"))
            status = _read_status(sock, deadline)
            if status != 200:
                sock.close()
                return status, "proxy", "proxy CONNECT answered %d" % status
        else:
            path = spec["target"]
    else:
        sock = _connect(params, host, port, deadline)
    try:
        if scheme == "https":
            ctx = ssl.create_default_context()
            sock = ctx.wrap_socket(sock, server_hostname=host)
        headers = "".join("%s: %s\r\n" % kv for kv in sorted(spec["headers"].items()))
        request = "%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: umcheck-collector/%s\r\n%sConnection: close\r\n\r\n" % (
            spec["method"], path, host, COLLECTOR_VERSION, headers)
        sock.sendall(request.encode("ascii"))
        status = _read_status(sock, deadline)
        if spec["via"] == "proxy" and scheme == "http" and status in PROXY_OWN_STATUSES:
            # the proxy's own answer (authentication, gateway): the endpoint was not reached
            return status, "proxy", "proxy answered %d" % status
        return status, None, None
    finally:
        sock.close()


def run_probe(spec, params, proxy, timeout):
    result = {"name": spec["name"], "target": spec["target"], "port": spec["port"], "kind": spec["kind"],
              "via": spec["via"], "ok": False, "status": None, "error": None, "detail": None, "elapsed_ms": 0,
              "workspace": spec["workspace"]}
    if "*" in spec["target"]:
        result.update(error="skipped", detail="workspace unknown: nothing to probe")
        return result
    start = time.monotonic()
    deadline = Deadline(timeout)
    try:
        if spec["kind"] == "tcp":
            _connect(params, spec["target"], spec["port"], deadline).close()
            result["ok"] = True
        else:
            status, error, detail = _http_probe(spec, params, proxy, deadline)
            result.update(status=status, ok=error is None, error=error, detail=detail)
    except ValueError as exc:
        result.update(error="http", detail=str(exc)[:200])
    except Exception as exc:  # noqa: BLE001 - every failure is a probe result, never a crash
        result.update(error=_classify(exc), detail=("%s: %s" % (exc.__class__.__name__, exc))[:200])
    result["elapsed_ms"] = int((time.monotonic() - start) * 1000)
    return result


def run_probes(specs, params, proxy, timeout):
    """All probes at once, one thread each; a probe stuck in DNS is reported as a timeout."""
    results = [None] * len(specs)

    def work(i):
        results[i] = run_probe(specs[i], params, proxy, timeout)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(specs))]
    for t in threads:
        t.daemon = True
        t.start()
    end = time.monotonic() + timeout + 1.0
    for t in threads:
        t.join(max(0.0, end - time.monotonic()))
    for i, spec in enumerate(specs):
        if results[i] is None:
            results[i] = {"name": spec["name"], "target": spec["target"], "port": spec["port"], "kind": spec["kind"],
                          "via": spec["via"], "ok": False, "status": None, "error": "timeout",
                          "detail": "no answer within the probe timeout (DNS?)",
                          "elapsed_ms": int(timeout * 1000), "workspace": spec["workspace"]}
    return results


# ------------------------------------------------------------------------------------------
# Main


def host_info(host):
    if host.root:
        name = (host.read_optional("/etc/hostname") or "").strip() or "localhost"
        return {"hostname": name, "fqdn": None}
    name = socket.gethostname()
    box = []
    t = threading.Thread(target=lambda: box.append(socket.getfqdn()))
    t.daemon = True
    t.start()
    t.join(1.0)
    return {"hostname": name.split(".")[0], "fqdn": box[0] if box and "." in box[0] else None}


def collect(root=None, params=None):
    params = params or {}
    started = time.time()
    t0 = time.monotonic()
    host = Host(root)
    state = State(host)
    wanted = params.get("sections")
    wanted = set(wanted) if isinstance(wanted, list) else set(SECTIONS)
    timeout = float(params.get("probe_timeout") or 5.0)
    errors = []
    linux = {}
    builders = [("os", section_os, host), ("dmi", section_dmi, host), ("oms_agent", section_oms_agent, state),
                ("workspaces", section_workspaces, state), ("worker", section_worker, state),
                ("current_mof", section_current_mof, state), ("proxy", section_proxy, state),
                ("repos", section_repos, state)]
    for name, fn, arg in builders:
        if name not in wanted:
            continue
        try:
            linux[name] = fn(arg)
        except Exception as exc:  # noqa: BLE001 - a failing section is reported, the rest still runs
            errors.append({"section": name, "message": str(exc)[:500] or exc.__class__.__name__})
    try:
        proxy = agent_proxy(host)[0]
    except CollectorFailure:
        proxy = None
    proxy = proxy or os.environ.get("https_proxy") or os.environ.get("HTTPS_PROXY")
    specs = []
    if "probes" in wanted:
        try:
            specs = probe_plan(state, params, proxy)
        except Exception as exc:  # noqa: BLE001
            errors.append({"section": "probes", "message": str(exc)[:500]})
    repo_specs = []
    if "repos" in linux:
        repo_specs = [{"name": "repo", "target": u, "port": 443 if u.startswith("https") else 80,
                       "kind": "https" if u.startswith("https") else "http", "via": "direct", "workspace": None,
                       "method": "HEAD", "headers": {}} for u in linux["repos"]["urls"]]
    results = run_probes(specs + repo_specs, params, proxy, timeout)
    if "probes" in wanted and not any(e["section"] == "probes" for e in errors):
        linux["probes"] = results[:len(specs)]
    if repo_specs:
        linux["repos"]["probes"] = results[len(specs):]
    return {
        "facts_version": 1,
        "os_family": "linux",
        "host": host_info(host),
        "collector": {"name": "umcheck-linux", "version": COLLECTOR_VERSION,
                      "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
                      "elapsed_ms": int((time.monotonic() - t0) * 1000), "errors": errors},
        "linux": linux,
    }


def parse_args(argv):
    root, blob = None, None
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg in ("--root", "--params") and i + 1 < len(argv):
            if arg == "--root":
                root = argv[i + 1]
            else:
                blob = argv[i + 1]
            i += 2
        elif arg.startswith("--root="):
            root, i = arg.split("=", 1)[1], i + 1
        elif arg.startswith("--params="):
            blob, i = arg.split("=", 1)[1], i + 1
        else:
            raise ValueError("unknown argument %r (usage: linux.py [--root DIR] [--params BLOB])" % arg[:40])
    return root, blob


def main(argv):
    try:
        root, blob = parse_args(argv)
        params = decode_params(blob)
    except ValueError as exc:
        sys.stderr.write("umcheck collector: bad arguments: %s\n" % exc)
        return 2
    doc = collect(root, params)
    sys.stdout.write("%s\n%s\n%s\n" % (BEGIN, json.dumps(doc, separators=(",", ":")), END))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
