#!/usr/bin/env python3
# UMCHECK-COLLECTOR linux 1
"""umcheck Linux fact collector (facts contract v2): read-only, stdlib only, python3 >= 3.6.

Reads files under / (or --root DIR, for tests) and /proc, probes the agent's endpoints in
parallel with a per-probe timeout, and prints one JSON facts document between the umcheck
marker lines. It never writes a file and never runs a package manager. The only processes it
starts are the read-only commands of READONLY_COMMANDS (``azcmagent show -j`` / ``config list -j``
/ ``version``, ``systemctl is-active`` / ``is-enabled``; ``azcmagent check -j`` only when the
controller asks, ``scan --arc-check``, as it contacts Azure), by absolute path, with a timeout each,
through run_readonly() (tests/unit/collectors/py_readonly.py checks this statically).
Run by hand: ``sudo python3 linux.py > facts.txt`` then ``umcheck evaluate facts.txt``.
"""

import base64
import hashlib
import json
import os
import re
import socket
import ssl
import subprocess  # only in run_readonly(): allowlisted read-only commands (READONLY_COMMANDS)
import sys
import threading
import time

BEGIN = "<<<UMCHECK-FACTS-BEGIN>>>"
END = "<<<UMCHECK-FACTS-END>>>"
COLLECTOR_VERSION = "2.0.0"
FACTS_VERSION = 2
MAX_READ = 1024 * 1024
SECTIONS = ("os", "dmi", "oms_agent", "workspaces", "worker", "current_mof", "proxy", "repos", "probes",
            "arc", "azure_vm", "extensions", "hrw2", "linux_updates")

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
        self._units = None

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

    def units(self):
        if self._units is None:
            self._units = Units(self.host)
        return self._units

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
# Facts v2: the successor pack (Azure Arc, Azure VM agent, extensions, extension-based worker,
# Linux update settings). Sources: ../shared/reference/successor-readiness.md §2-§4.

# The only commands this collector runs, by absolute path under --root (so a test root may hold
# stand-ins): (tool, leading arguments) -> read-only. ``azcmagent check -j`` tests the agent's
# endpoints (azcmagent-check on Learn: read-only, but it contacts Azure), so it runs only when the
# params ask (arc_check). Never ``azcmagent extension list`` (it needs the extension service stopped).
READONLY_COMMANDS = {
    "azcmagent": (("show", "-j"), ("config", "list", "-j"), ("version",), ("check", "-j")),
    "systemctl": (("is-active",), ("is-enabled",)),
}
TOOL_PATHS = {
    "azcmagent": ("/opt/azcmagent/bin/azcmagent",),
    "systemctl": ("/usr/bin/systemctl", "/bin/systemctl"),
}
AZCMAGENT = "/opt/azcmagent/bin/azcmagent"
AZCMAGENT_TIMEOUT = 15.0
ARC_CHECK_TIMEOUT = 60.0  # azcmagent check probes every endpoint itself; opt-in only
_REGION = re.compile(r"^[a-z0-9]{1,40}$")
MAX_CHECK_ROWS = 64
AZURE_ASSET_TAG = "7783-7084-3265-9085-8269-3286-77"
SYSTEMCTL_TIMEOUT = 5.0
HIMDS_URL = ("/metadata/identity/oauth2/token?api-version=2020-06-01"
             "&resource=https%3A%2F%2Fmanagement.azure.com%2F")
ARC_UNITS = ("himdsd", "extd", "gcad", "arcproxyd")  # arcproxyd: name unverified (§8)
VM_AGENT_UNITS = ("walinuxagent", "waagent")
WAAGENT_DIR = "/var/lib/waagent"
HRW_LINUX = "Microsoft.Azure.Automation.HybridWorker.HybridWorkerForLinux"
MAX_EXTENSION_DIRS = 64
MAX_STATUS_FILES = 4096  # stat only; a long-lived extension keeps one file per sequence number
MAX_MESSAGE = 500
MAX_CONFIG_KEYS = 64
UNIT_DIRS = ("/etc/systemd/system", "/run/systemd/system", "/lib/systemd/system", "/usr/lib/systemd/system")
UNIT_FILE_STATES = ("enabled", "enabled-runtime", "linked", "linked-runtime", "alias", "masked", "masked-runtime",
                    "static", "indirect", "disabled", "generated", "transient", "bad")
_EXT_DIR = re.compile(r"^([A-Za-z0-9_.]+?)-(\d+(?:\.\d+)*)$")


def run_readonly(host, tool, args, timeout):
    """Run one allowlisted read-only command: (exit code, stdout text), or None when the tool is
    absent (e.g. no systemctl under --root) or did not finish in time."""
    args = tuple(args)
    if not any(args[:len(prefix)] == prefix for prefix in READONLY_COMMANDS.get(tool, ())):
        raise CollectorFailure("not an allowlisted read-only command: %s %s" % (tool, " ".join(args)[:40]))
    exe = next((host.path(p) for p in TOOL_PATHS[tool] if os.access(host.path(p), os.X_OK)
                and os.path.isfile(host.path(p))), None)
    if exe is None:
        return None
    env = dict(os.environ)
    env.update(LC_ALL="C", SYSTEMD_PAGER="", SYSTEMD_COLORS="0")
    try:
        proc = subprocess.run([exe] + list(args), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, timeout=timeout, env=env)
    except (OSError, subprocess.SubprocessError):
        return None
    return proc.returncode, proc.stdout[:MAX_READ].decode("utf-8", "replace")


def in_parallel(funcs, timeout):
    """Call each function in its own thread; None for any that raised or did not finish in time."""
    results = [None] * len(funcs)

    def work(i):
        try:
            results[i] = funcs[i]()
        except Exception:  # noqa: BLE001 - the caller treats None as "unknown"
            results[i] = None

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(funcs))]
    for t in threads:
        t.daemon = True
        t.start()
    end = time.monotonic() + timeout
    for t in threads:
        t.join(max(0.0, end - time.monotonic()))
    return results


def iso_mtime(host, p):
    try:
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(os.stat(host.path(p)).st_mtime))
    except OSError:
        return None


def _first_line(text):
    return (text or "").strip().splitlines()[0].strip() if (text or "").strip() else ""


class Units(object):
    """systemd units: ``systemctl is-enabled`` / ``is-active`` when systemctl exists, unit files otherwise."""

    def __init__(self, host):
        self.host = host
        self._cache = {}

    def unit_file(self, unit):
        return any(self.host.exists("%s/%s" % (d, unit)) for d in UNIT_DIRS)

    def state(self, name):
        """SvcState dict: name, present, status (is-active), start_type (is-enabled); None = unknown."""
        if name in self._cache:
            return self._cache[name]
        unit = name if "." in name else name + ".service"
        enabled = run_readonly(self.host, "systemctl", ("is-enabled", unit), SYSTEMCTL_TIMEOUT)
        start_type = _first_line(enabled[1]) if enabled else ""
        present = self.unit_file(unit) or start_type in UNIT_FILE_STATES
        status = None
        if present and enabled is not None:
            active = run_readonly(self.host, "systemctl", ("is-active", unit), SYSTEMCTL_TIMEOUT)
            status = (_first_line(active[1]) or None) if active else None
        out = {"name": name, "present": present, "status": status,
               "start_type": (start_type or None) if present and start_type in UNIT_FILE_STATES else None}
        self._cache[name] = out
        return out

    def active(self, unit):
        """The exact first line of ``systemctl is-active UNIT``, or None without systemctl."""
        res = run_readonly(self.host, "systemctl", ("is-active", unit), SYSTEMCTL_TIMEOUT)
        return (_first_line(res[1]) or None) if res else None

    def enabled(self, unit):
        """True/False from ``systemctl is-enabled``, else from a *.wants symlink; None when unknown."""
        res = run_readonly(self.host, "systemctl", ("is-enabled", unit), SYSTEMCTL_TIMEOUT)
        if res is not None:
            return _first_line(res[1]) in ("enabled", "enabled-runtime", "static", "indirect", "alias")
        for d in ("/etc/systemd/system", "/lib/systemd/system", "/usr/lib/systemd/system"):
            for wants in self.host.listdir(d):
                if wants.endswith(".wants") and self.host.exists("%s/%s/%s" % (d, wants, unit)):
                    return True
        return False if self.unit_file(unit) else None


def _norm(key):
    return re.sub(r"[^a-z0-9]", "", str(key).lower())


def _find(doc, names, depth=0):
    """First scalar value under any of ``names`` (normalised keys), searching nested objects."""
    if depth > 4 or not isinstance(doc, (dict, list)):
        return None
    items = doc.items() if isinstance(doc, dict) else enumerate(doc)
    for key, value in items:
        if isinstance(doc, dict) and _norm(key) in names and isinstance(value, (str, int, float)) \
                and not isinstance(value, bool) and str(value).strip():
            return str(value).strip()[:MAX_MESSAGE]
    items = doc.values() if isinstance(doc, dict) else doc
    for value in items:
        found = _find(value, names, depth + 1)
        if found is not None:
            return found
    return None


def _json_of(text):
    text = (text or "").strip()
    start = min([i for i in (text.find("{"), text.find("[")) if i >= 0] or [-1])
    if start < 0:
        return None
    try:
        return json.loads(text[start:])
    except ValueError:
        return None


def parse_arc_show(text):
    """Fields of ``azcmagent show -j``; only ``status``/``lastHeartbeat`` are documented keys, the
    rest are matched tolerantly on their display names (successor-readiness.md §2.2, §8)."""
    doc = _json_of(text)
    if doc is None:
        return {}
    return {"status": _find(doc, ("status", "agentstatus")),
            "last_heartbeat": iso_time(_find(doc, ("lastheartbeat", "agentlastheartbeat"))),
            "error_code": _find(doc, ("errorcode", "agenterrorcode")),
            "error_details": _find(doc, ("errordetails", "agenterrordetails")),
            "resource_id": _find(doc, ("resourceid", "azureresourceid")),
            "location": _find(doc, ("location", "region")),
            "version": _find(doc, ("agentversion",))}


def iso_time(value):
    """ISO 8601 when the text is a date we recognise; the text itself otherwise (never a crash)."""
    if not value:
        return None
    v = value.strip()
    if re.match(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}", v):
        v = v.replace(" ", "T", 1)
        m = re.match(r"^(.*?)(\.\d+)?\s*(Z|[+-]\d{2}:?\d{2}|UTC)?$", v)
        if m:
            zone = m.group(3) or ""
            zone = "Z" if zone in ("Z", "UTC") else (zone[:3] + ":" + zone[-2:] if zone and ":" not in zone else zone)
            return m.group(1)[:19] + zone
    return v[:64]


def _config_value(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(_config_value(v) for v in value if v is not None and not isinstance(v, (dict, list)))
    if value is None or isinstance(value, dict):
        return None
    return str(value)


def parse_arc_config(text):
    """``azcmagent config list -j`` as {property: value}; the JSON shape is undocumented, so both
    {"proxy.url": ...} objects and [{"Key"/"Name": ..., "Value": ...}] lists are read."""
    out = {}

    def add(key, value):
        key = str(key).strip()
        value = _config_value(value)
        if "." in key and value is not None and len(out) < MAX_CONFIG_KEYS and key not in out:
            out[key] = redact(value[:MAX_MESSAGE]) if key.lower() == "proxy.url" else value[:MAX_MESSAGE]

    def walk(doc, depth):
        if depth > 4:
            return
        if isinstance(doc, dict):
            lowered = dict((_norm(k), v) for k, v in doc.items())
            name = lowered.get("key", lowered.get("name"))
            if isinstance(name, str) and "value" in lowered:
                add(name, lowered["value"])
            for k, v in doc.items():
                if isinstance(v, (dict, list)) and not (isinstance(v, list) and "." in str(k)):
                    walk(v, depth + 1)
                else:
                    add(k, v)
        elif isinstance(doc, list):
            for v in doc:
                walk(v, depth + 1)

    walk(_json_of(text), 0)
    return out


def himds_probe(params, timeout):
    """GET the identity endpoint without the secret: status, and whether a ``WWW-Authenticate:
    Basic realm=`` challenge came back. The realm names a key file; it is never read or kept."""
    out = {"status": None, "basic_realm": False, "error": None}
    deadline = Deadline(timeout)
    try:
        sock = _connect(params, "localhost", 40342, deadline)
        try:
            sock.sendall(("GET %s HTTP/1.1\r\nHost: localhost:40342\r\nMetadata: true\r\n"
                          "User-Agent: umcheck-collector/%s\r\nConnection: close\r\n\r\n"
                          % (HIMDS_URL, COLLECTOR_VERSION)).encode("ascii"))
            data = b""
            while b"\r\n\r\n" not in data and len(data) < 16384:
                sock.settimeout(deadline.left())
                chunk = sock.recv(4096)
                if not chunk:
                    break
                data += chunk
        finally:
            sock.close()
        head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1", "replace").split("\r\n")
        m = re.match(r"^HTTP/\d(?:\.\d)?\s+(\d{3})", head[0] if head else "")
        if not m:
            out["error"] = "other"
            return out
        out["status"] = int(m.group(1))
        out["basic_realm"] = any(re.match(r"^www-authenticate\s*:\s*basic\s+realm\s*=", h, re.I) for h in head[1:])
    except Exception as exc:  # noqa: BLE001 - a probe result, never a crash
        kind = _classify(exc)
        out["error"] = kind if kind in ("refused", "timeout") else "other"
    return out


def _env_files(host):
    """KEY=VALUE pairs of the machine environment: /etc/environment, then systemd's
    DefaultEnvironment drop-ins (where the Arc agent puts its variables, §2.1)."""
    out = {}
    text = host.read_optional("/etc/environment") or ""
    for key, value in parse_kv(text).items():
        out.setdefault(key, value.strip("'\""))
    for d in ("/lib/systemd/system.conf.d", "/usr/lib/systemd/system.conf.d", "/etc/systemd/system.conf.d"):
        for name in host.listdir(d)[:32]:
            if not name.endswith(".conf"):
                continue
            for line in (host.read_optional(d + "/" + name) or "").splitlines():
                line = line.strip()
                if not line.startswith("DefaultEnvironment="):
                    continue
                for m in re.finditer(r'"([A-Za-z_][A-Za-z0-9_]*)=([^"]*)"|([A-Za-z_][A-Za-z0-9_]*)=(\S*)',
                                     line[len("DefaultEnvironment="):]):
                    key, value = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
                    out[key] = value
    return out


def machine_env(host):
    env = _env_files(host)
    if not host.root:  # under --root the collector's own environment is not the host's
        for key in ("MSFT_ARC_TEST", "HTTPS_PROXY", "https_proxy"):
            if os.environ.get(key) and key not in env:
                env[key] = os.environ[key]
    return env


def section_arc(state, params):
    host, units = state.host, state.units()
    installed = host.exists(AZCMAGENT)
    env = machine_env(host)
    proxy_env = env.get("HTTPS_PROXY") or env.get("https_proxy")
    out = {"installed": installed, "version": None, "status": None, "last_heartbeat": None, "error_code": None,
           "error_details": None, "resource_id": None, "location": None, "config": {},
           "services": [units.state(u) for u in ARC_UNITS], "himds": None,
           "msft_arc_test": (env.get("MSFT_ARC_TEST") or "").strip().lower() == "true",
           "https_proxy_env": redact(proxy_env) if proxy_env else None}
    if not installed:
        return out
    timeout = min(float(params.get("probe_timeout") or 5.0), 30.0)
    show, config, version, himds = in_parallel([
        lambda: run_readonly(host, "azcmagent", ("show", "-j"), AZCMAGENT_TIMEOUT),
        lambda: run_readonly(host, "azcmagent", ("config", "list", "-j"), AZCMAGENT_TIMEOUT),
        lambda: run_readonly(host, "azcmagent", ("version",), AZCMAGENT_TIMEOUT),
        lambda: himds_probe(params, timeout),
    ], AZCMAGENT_TIMEOUT + 1.0)
    shown = parse_arc_show(show[1]) if show else {}
    for key in ("status", "last_heartbeat", "error_code", "error_details", "resource_id", "location"):
        out[key] = shown.get(key)
    m = re.search(r"(\d+\.\d+(?:\.\d+)*)", version[1]) if version else None
    out["version"] = m.group(1) if m else shown.get("version")
    out["config"] = parse_arc_config(config[1]) if config else {}
    out["himds"] = himds or {"status": None, "basic_realm": False, "error": "timeout"}
    if params.get("arc_check") is True:
        out["check"] = arc_check(host, shown.get("location"), params.get("arc_location"))
    return out


def arc_check(host, own_location, fallback):
    """``azcmagent check -j [--location <region>]`` (opt-in): the agent's own region, else the scan's."""
    loc = "".join(str(own_location or fallback or "").split()).lower() or None
    if loc and not _REGION.match(loc):
        loc = None
    if loc:
        ran = run_readonly(host, "azcmagent", ("check", "-j", "--location", loc), ARC_CHECK_TIMEOUT)
    else:
        ran = run_readonly(host, "azcmagent", ("check", "-j"), ARC_CHECK_TIMEOUT)
    out = {"location": loc, "exit_code": None, "endpoints": [], "error": None}
    if ran is None:
        out["error"] = "timeout"
        return out
    out["exit_code"] = ran[0]
    doc = _json_of(ran[1])
    if doc is None:
        out["error"] = "not json"
        return out
    out["endpoints"] = parse_arc_check(doc)
    if not out["endpoints"]:
        out["error"] = "no endpoint rows"
    return out


_CHECK_ENDPOINT_KEYS = ("endpoint", "url", "uri", "address", "host", "hostname", "fqdn", "name")
_CHECK_REACHABLE_KEYS = ("reachable", "isreachable", "success", "succeeded", "passed", "status", "result",
                         "connectivity", "reachability")
_CHECK_PRIVATE_KEYS = ("private", "privateendpoint", "isprivate", "privatelink", "usedprivateendpoint")


def _truthy(value):
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "reachable", "ok", "passed", "pass", "success", "succeeded", "yes"):
        return True
    if text in ("false", "unreachable", "failed", "fail", "error", "no", "timeout"):
        return False
    return None


def parse_arc_check(doc):
    """Rows of ``azcmagent check -j`` whose shape is undocumented [U]: any object holding an
    endpoint-like string (a host or URL) and a reachable-like value, or a {url: bool} map."""
    rows = []

    def add(endpoint, reachable, private=None):
        if len(rows) < MAX_CHECK_ROWS and "." in endpoint and not any(r["endpoint"] == endpoint for r in rows):
            rows.append({"endpoint": endpoint[:256], "reachable": reachable, "private": private})

    def walk(node, depth):
        if depth > 5:
            return
        if isinstance(node, dict):
            low = dict((_norm(k), v) for k, v in node.items())
            ep = next((low[k] for k in _CHECK_ENDPOINT_KEYS if isinstance(low.get(k), str) and "." in low[k]), None)
            ok = next((_truthy(low[k]) for k in _CHECK_REACHABLE_KEYS
                       if k in low and not isinstance(low[k], (dict, list)) and _truthy(low[k]) is not None), None)
            if ep and ok is not None:
                priv = next((_truthy(low[k]) for k in _CHECK_PRIVATE_KEYS if k in low
                             and not isinstance(low[k], (dict, list))), None)
                add(ep.strip(), ok, priv)
            for key, value in node.items():
                if isinstance(value, (dict, list)):
                    walk(value, depth + 1)
                elif ("://" in str(key) or str(key).count(".") >= 2) and _truthy(value) is not None:
                    add(str(key).strip(), _truthy(value))
        elif isinstance(node, list):
            for value in node[:512]:
                walk(value, depth + 1)

    walk(doc, 0)
    return rows


def section_azure_vm(state):
    return {"services": [state.units().state(u) for u in VM_AGENT_UNITS]}


def _version_key(version):
    return tuple(int(x) for x in version.split(".") if x.isdigit())


def _handler_env(host, d):
    """HandlerEnvironment.json's statusFolder/configFolder (Arc may put them elsewhere, §4.2)."""
    doc = _json_of(host.read_optional(d + "/HandlerEnvironment.json") or "") if host.exists(
        d + "/HandlerEnvironment.json") else None
    env = doc[0] if isinstance(doc, list) and doc and isinstance(doc[0], dict) else doc if isinstance(doc, dict) else {}
    env = env.get("handlerEnvironment") if isinstance(env.get("handlerEnvironment"), dict) else {}
    return dict((k, v) for k, v in env.items() if k in ("statusFolder", "configFolder") and isinstance(v, str)
                and v.startswith("/"))


def _stamp(host, d, name):
    """Sort key of a <seq>.status / <seq>.settings file: mtime, then the sequence number."""
    seq = name.split(".", 1)[0]
    return os.stat(host.path(d + "/" + name)).st_mtime, int(seq) if seq.isdigit() else -1, name


def newest_file(host, d, suffix):
    stamped = []
    for n in [n for n in host.listdir(d) if n.endswith(suffix)][:MAX_STATUS_FILES]:
        try:
            stamped.append((_stamp(host, d, n), d + "/" + n))
        except OSError:
            continue
    return max(stamped)[1] if stamped else None


def read_status(host, path):
    """status.status, status.code, formattedMessage.message of one extension status file."""
    doc = _json_of(host.read_text(path, 256 * 1024))
    item = doc[0] if isinstance(doc, list) and doc else doc
    st = item.get("status") if isinstance(item, dict) and isinstance(item.get("status"), dict) else {}
    fm = st.get("formattedMessage") if isinstance(st.get("formattedMessage"), dict) else {}
    status, code, message = st.get("status"), st.get("code"), fm.get("message")
    return {"status": status if isinstance(status, str) else None,
            "code": None if code is None or isinstance(code, (dict, list)) else str(code),
            "message": message[:MAX_MESSAGE] if isinstance(message, str) else None,
            "status_time": iso_mtime(host, path)}


def settings_url(host, folders):
    """Public AutomationAccountURL of the newest *.settings file; protectedSettings is never read."""
    newest = []
    for d in folders:
        p = newest_file(host, d, ".settings")
        if p:
            newest.append((_stamp(host, d, p.rsplit("/", 1)[1]), p))
    if not newest:
        return None
    doc = _json_of(host.read_text(max(newest)[1], 256 * 1024))
    runtime = doc.get("runtimeSettings") if isinstance(doc, dict) else None
    for item in runtime if isinstance(runtime, list) else []:
        handler = item.get("handlerSettings") if isinstance(item, dict) else None
        public = handler.get("publicSettings") if isinstance(handler, dict) else None
        if isinstance(public, dict):
            for key, value in public.items():
                if _norm(key) == "automationaccounturl" and isinstance(value, str):
                    return value.strip()[:MAX_MESSAGE] or None
    return None


def section_extensions(state):
    host = state.host
    newest = {}
    for name in host.listdir(WAAGENT_DIR)[:4096]:
        m = _EXT_DIR.match(name)
        if not m or not host.isdir(WAAGENT_DIR + "/" + name):
            continue
        ext, version = m.group(1), m.group(2)
        if ext not in newest or _version_key(version) > _version_key(newest[ext]):
            newest[ext] = version
    items = []
    # bounded: Microsoft's extensions (the ones the rules read) first, then the others by name
    for ext in sorted(newest, key=lambda e: (not e.startswith("Microsoft."), e))[:MAX_EXTENSION_DIRS]:
        d = "%s/%s-%s" % (WAAGENT_DIR, ext, newest[ext])
        henv = _handler_env(host, d)
        item = {"name": ext, "version": newest[ext], "status": None, "code": None, "message": None,
                "status_time": None, "settings_url": None}
        status = newest_file(host, henv.get("statusFolder") or d + "/status", ".status")
        if status:
            try:
                item.update(read_status(host, status))
            except CollectorFailure:
                pass
        if ext == HRW_LINUX:
            unversioned = "%s/%s" % (WAAGENT_DIR, ext)  # the documented settings folder (§3.1)
            folders = [henv.get("configFolder") or d + "/config", unversioned, unversioned + "/config"]
            try:
                item["settings_url"] = settings_url(host, folders)
            except (CollectorFailure, OSError):
                pass
        items.append(item)
    return {"items": items}


def section_hrw2(state):
    host = state.host
    user = passwd_uid(host, "hweautomation") is not None if host.exists("/etc/passwd") else None
    return {"service": state.units().state("hwd"), "user_present": user, "v2_key_present": None,
            "azure_key_present": None, "jrds_uri": None}


PACKAGE_MANAGERS = (("apt", "apt-get"), ("dnf", "dnf"), ("yum", "yum"), ("zypper", "zypper"))
PYTHONS = ("python3", "python2.7", "python2", "python")


def _binary(host, name):
    return any(host.exists(d + "/" + name) for d in ("/usr/bin", "/bin", "/usr/sbin", "/sbin"))


def _ini_value(text, key):
    m = None
    for m in re.finditer(r"^\s*%s\s*=\s*(\S+)" % re.escape(key), text or "", re.M):
        pass
    return m.group(1).strip().strip("'\"").lower() if m else None


def auto_updates(state):
    """OS mechanisms that install updates by themselves (LinuxPatchExtension detects these, §4.5)."""
    host, units, found = state.host, state.units(), []
    apt_value, apt_file = None, None
    for name in host.listdir("/etc/apt/apt.conf.d")[:64]:  # later files override earlier ones
        text = host.read_optional("/etc/apt/apt.conf.d/" + name) or ""
        for m in re.finditer(r'APT::Periodic::Unattended-Upgrade\s+"?(\d+)"?', text):
            apt_value, apt_file = m.group(1), name
    if apt_value is not None and apt_value != "0":
        found.append("apt: %s" % apt_file)
    if units.enabled("yum-cron.service") and _ini_value(host.read_optional("/etc/yum/yum-cron.conf"),
                                                        "apply_updates") in ("yes", "1", "true"):
        found.append("yum-cron: apply_updates")
    if units.enabled("dnf-automatic.timer") and _ini_value(host.read_optional("/etc/dnf/automatic.conf"),
                                                           "apply_updates") in ("yes", "1", "true"):
        found.append("dnf-automatic.timer: apply_updates")
    if units.enabled("dnf-automatic-install.timer"):
        found.append("dnf-automatic-install.timer")
    if units.enabled("packagekit.service") and (_ini_value(host.read_optional("/etc/PackageKit/PackageKit.conf"),
                                                           "WritePreparedUpdates") == "true"):
        found.append("packagekit: WritePreparedUpdates")  # [I] which PackageKit setting counts is inferred
    aou = parse_kv(host.read_optional("/etc/sysconfig/automatic_online_update") or "")
    if aou.get("AOU_ENABLE_CRONJOB", "").strip().lower() == "true":
        found.append("zypper: automatic_online_update")
    return found


def section_linux_updates(state):
    host = state.host
    manager = next((pm for pm, binary in PACKAGE_MANAGERS if _binary(host, binary)), None)
    return {"package_manager": manager, "python": [p for p in PYTHONS if _binary(host, p)],
            "auto_updates": auto_updates(state),
            "autoassess_timer": state.units().active("MsftLinuxPatchAutoAssess.timer")}


# ------------------------------------------------------------------------------------------
# Probes


def looks_like_azure_vm(state):
    """Guest agent unit file or the Azure DMI asset tag: where the WireServer probes make sense.
    Unit files only (no systemctl): the probes start before any command has answered."""
    host = state.host
    if any(state.units().unit_file(u + ".service") for u in VM_AGENT_UNITS):
        return True
    try:
        return host.read_text("/sys/class/dmi/id/chassis_asset_tag", 4096).strip() == AZURE_ASSET_TAG
    except CollectorFailure:
        return False


def hrw2_urls(extensions):
    """The worker's own account URL(s): only the host knows them (extension settings, §3.1)."""
    return [e["settings_url"] for e in (extensions or {}).get("items") or []
            if e.get("name") == HRW_LINUX and e.get("settings_url")]


def probe_plan(state, params, proxy, extensions=None):
    """Probe specs: what the machine itself records, then the controller's templates, then the
    successor probes (arc through the agent's proxy, WireServer on Azure VMs, the worker's hosts)."""
    specs = []
    ws = state.workspace()

    def add(name, target, port=443, kind="tcp", via="direct", workspace=None, method="GET", headers=None,
            proxy_url=None):
        key = (name, target, port, kind, via)
        if not any(s["key"] == key for s in specs):
            specs.append({"key": key, "name": name, "target": target, "port": port, "kind": kind, "via": via,
                          "workspace": workspace, "method": method, "headers": headers or {}, "proxy": proxy_url})

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
    env = machine_env(state.host)
    arc_proxy = env.get("HTTPS_PROXY") or env.get("https_proxy")  # the agent's (§2.5); proxy.url comes later
    azure_vm = None
    for t in params.get("endpoints") or []:
        template, kind = t.get("template", ""), t.get("kind", "tcp")
        port = t.get("port", 80 if kind == "http" else 443)
        if kind in ("arc", "wu", "wireserver", "hrw2"):
            if kind == "arc":
                add(t.get("name", "arc"), template, port, kind, "proxy" if arc_proxy else "direct",
                    proxy_url=arc_proxy)
            elif kind == "wireserver":
                azure_vm = looks_like_azure_vm(state) if azure_vm is None else azure_vm
                if azure_vm:
                    add(t.get("name", "wireserver"), template, port, kind)
            continue  # wu: the Windows Update client (Windows only); hrw2: the host's own, below
        targets = [(template.replace("{workspace}", x), x) for x in state.workspaces()] \
            if "{workspace}" in template else [(template, None)]
        for target, x in targets:
            for via in ["direct"] + (["proxy"] if proxy and kind != "tcp" else []):
                add(t.get("name", "endpoint"), target, port, kind, via, x,
                    headers={"Metadata": "true"} if t.get("name") == "imds" else None)
    for url in hrw2_urls(extensions):
        host = url_host(url)
        if host:
            add("hrw2_jrds", host, 443, "hrw2")
            if ".jrds." in host:  # <accountId>.jrds.<m>... -> <accountId>.agentsvc.<m>... (shape [I], §3.1)
                add("hrw2_agentsvc", host.replace(".jrds.", ".agentsvc.", 1), 443, "hrw2")
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
        phost, pport = _parse_proxy(spec.get("proxy") or proxy)
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
        if spec["kind"] in ("tcp", "wireserver"):
            _connect(params, spec["target"], spec["port"], deadline).close()
            result["ok"] = True
        elif spec["kind"] == "hrw2":
            result["address"] = None
            _tls_probe(spec, params, deadline, result)
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


def _tls_probe(spec, params, deadline, result):
    """DNS, then TCP + a TLS handshake with the name (certificate validated): the worker's hosts.
    An overridden target (tests) is never resolved: its loopback address is recorded instead."""
    name, port = spec["target"], spec["port"]
    host, port = _override(params, name, port)
    if host == name:
        infos = socket.getaddrinfo(name, port, 0, socket.SOCK_STREAM)
        host = infos[0][4][0]
    result["address"] = host
    sock = socket.create_connection((host, port), timeout=deadline.left())
    try:
        sock.settimeout(deadline.left())
        tls = ssl.create_default_context().wrap_socket(sock, server_hostname=name)
        tls.close()
    finally:
        sock.close()


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
    early = {}  # extensions before the probes: the worker's own hosts are in its settings (hrw2)
    if wanted & {"probes", "extensions"}:
        try:
            early["extensions"] = section_extensions(state)
        except Exception as exc:  # noqa: BLE001 - reported below as the extensions section's error
            early["error"] = str(exc)[:500] or exc.__class__.__name__
    specs = []
    if "probes" in wanted:
        try:
            specs = probe_plan(state, params, proxy, early.get("extensions"))
        except Exception as exc:  # noqa: BLE001
            errors.append({"section": "probes", "message": str(exc)[:500]})
    repo_specs = []
    if "repos" in linux:
        repo_specs = [{"name": "repo", "target": u, "port": 443 if u.startswith("https") else 80,
                       "kind": "https" if u.startswith("https") else "http", "via": "direct", "workspace": None,
                       "method": "HEAD", "headers": {}} for u in linux["repos"]["urls"]]
    box = []
    prober = threading.Thread(target=lambda: box.append(run_probes(specs + repo_specs, params, proxy, timeout)))
    prober.daemon = True
    prober.start()
    # facts v2 sections run while the probes wait on the network (their commands have own timeouts)
    v2 = [("arc", lambda: section_arc(state, params)), ("azure_vm", lambda: section_azure_vm(state)),
          ("extensions", lambda: _early(early)), ("hrw2", lambda: section_hrw2(state)),
          ("linux_updates", lambda: section_linux_updates(state))]
    for name, fn in v2:
        if name not in wanted:
            continue
        try:
            linux[name] = fn()
        except Exception as exc:  # noqa: BLE001 - a failing section is reported, the rest still runs
            errors.append({"section": name, "message": str(exc)[:500] or exc.__class__.__name__})
    prober.join(timeout + 2.0)
    results = box[0] if box else [dict(s, ok=False, status=None, error="timeout", detail="probe run did not finish",
                                       elapsed_ms=int(timeout * 1000)) for s in specs + repo_specs]
    for r in results:
        for k in ("key", "method", "headers", "proxy"):
            r.pop(k, None)
    if "probes" in wanted and not any(e["section"] == "probes" for e in errors):
        linux["probes"] = results[:len(specs)]
    if repo_specs:
        linux["repos"]["probes"] = results[len(specs):]
    return {
        "facts_version": FACTS_VERSION,
        "os_family": "linux",
        "host": host_info(host),
        "collector": {"name": "umcheck-linux", "version": COLLECTOR_VERSION,
                      "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
                      "elapsed_ms": int((time.monotonic() - t0) * 1000), "errors": errors},
        "linux": linux,
    }


def _early(early):
    if "error" in early:
        raise CollectorFailure(early["error"])
    return early["extensions"]


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
