"""Network probes a simulated host reports: built from the endpoints the collector was asked to
check, with outcomes decided by the host's states (nothing is ever contacted).

Mirrors what the real collectors do: ``{workspace}`` templates are expanded per configured
workspace (at most 4), https/http probes come as a ``via=proxy`` / ``via=direct`` pair, and the
JRDS URI recorded on the machine adds ``jrds_recorded`` / ``https_recorded``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from umcheck.endpoints import plan_endpoints, successor_templates
from umcheck.sim.machines import Machine, off_azure

AZURE_NAMES = {"agentsvc", "jrds", "jrds_recorded", "ods", "oms", "https", "https_recorded", "la1", "la2", "la3", "la4"}
MAX_WORKSPACES = 4


# State -> (status the proxy answers with itself, does it apply to plain-HTTP requests too).
PROXY_ANSWERS: dict[str, tuple[int, bool]] = {
    "proxy_error_page": (502, True),
    "proxy_denies_tunnel": (403, False),  # only CONNECT is refused
    "proxy_auth_required": (407, True),
}


def _proxy_answer(kind: str, states: tuple[str, ...]) -> dict[str, Any] | None:
    """What the collector records when the proxy answers itself (docs/facts.md "Proxy answers")."""
    for state, (status, plain_http_too) in PROXY_ANSWERS.items():
        if state not in states:
            continue
        if kind == "https":
            return {"ok": False, "status": status, "error": "proxy", "detail": f"proxy CONNECT answered {status}"}
        if kind == "http" and plain_http_too:
            if status == 403:
                return {"ok": True, "status": status}
            return {"ok": False, "status": status, "error": "proxy", "detail": f"proxy answered {status}"}
    return None


def _outcome(name: str, kind: str, via: str, states: tuple[str, ...], proxied: bool) -> dict[str, Any]:
    if via == "proxy" and proxied and kind != "tcp":
        bypassed = name == "imds" and "proxy_denies_tunnel" in states
        answer = None if bypassed else _proxy_answer(kind, states)
        if answer is not None:
            return answer
    if name == "imds":
        if off_azure(states):  # not_azure and the Arc states: a server outside Azure
            return {"ok": False, "error": "timeout", "detail": "no answer from 169.254.169.254 within 5 s"}
        out: dict[str, Any] = {"ok": True, "status": 200}
        if via == "proxy":
            out["detail"] = "169.254.169.254 bypasses the proxy" if proxied else "no proxy configured: direct"
        return out
    if name == "repo" and {"repos_blocked", "linux_repos_unreachable"} & set(states):
        return {"ok": False, "error": "timeout", "detail": "connect timed out after 5 s"}
    if name in AZURE_NAMES and "endpoints_blocked" in states:
        return {"ok": False, "error": "timeout", "detail": "connect timed out after 5 s"}
    if kind == "tcp":
        return {"ok": True}
    out = {"ok": True, "status": 200 if name in ("repo", "internet") else 404}
    if via == "proxy" and not proxied:
        out["detail"] = "no proxy configured: direct"
    return out


def _probe(name: str, target: str, port: int, kind: str, via: str, m: Machine, proxied: bool,
           workspace: str | None = None) -> dict[str, Any]:  # fmt: skip
    p: dict[str, Any] = {"name": name, "target": target, "port": port, "kind": kind, "via": via,
                         "elapsed_ms": 0 if kind == "tcp" else 40}  # fmt: skip
    if workspace:
        p["workspace"] = workspace
    p.update(_outcome(name, kind, via, m.states, proxied))
    if not p["ok"]:
        p["elapsed_ms"] = 5000
    return p


def _expand(tpl: dict[str, Any], workspaces: list[str]) -> list[tuple[str, str | None]]:
    target = str(tpl.get("template", ""))
    if "{workspace}" not in target:
        return [(target, None)]
    return [(target.replace("{workspace}", ws), ws) for ws in workspaces[:MAX_WORKSPACES]]


def _pair(name: str, target: str, port: int, kind: str, m: Machine, proxied: bool, ws: str | None) -> list[dict]:
    if kind == "tcp":
        return [_probe(name, target, port, kind, "direct", m, proxied, ws)]
    return [_probe(name, target, port, kind, via, m, proxied, ws) for via in ("proxy", "direct")]


# Successor probe kinds (docs/facts.md "Probe"): one probe each, direct. They answer unless the state
# named after them blocks them; the proxy states model the legacy probes' proxy path only.
SUCCESSOR_KINDS = ("arc", "wu", "wireserver", "hrw2")
BLOCKED_BY = {"arc": "arc_endpoints_blocked", "wu": "wu_endpoints_blocked", "wireserver": "wireserver_blocked",
              "hrw2": "hrw2_unreachable"}  # fmt: skip
HRW2_ADDRESS = "20.50.64.10"  # a public address: the simulated account has no Private Link


def _successor_probe(name: str, target: str, port: int, kind: str, m: Machine) -> dict[str, Any]:
    p: dict[str, Any] = {"name": name, "target": target, "port": port, "kind": kind, "via": "direct", "elapsed_ms": 30}
    if BLOCKED_BY[kind] in m.states:
        p.update(ok=False, error="timeout", detail="connect timed out after 5 s", elapsed_ms=5000)
    elif kind in ("arc", "wu"):
        p.update(ok=True, status=404 if kind == "arc" else 200)
    else:
        p["ok"] = True
    if kind == "hrw2":
        p["address"] = HRW2_ADDRESS
    return p


def successor_probes(m: Machine, sections: dict[str, Any], endpoints: list[dict[str, Any]] | None) -> list[dict]:
    """What the collectors add for the successor pack: the planned arc/wu/wireserver templates (WU on
    Windows only, WireServer only where the host looks like an Azure VM), and the worker's own hosts."""
    templates = [t for t in endpoints or [] if t.get("kind") in SUCCESSOR_KINDS]
    if endpoints is None:  # a run without parameters: the controller's plan, as a scan would send it
        templates = [{"name": t.name, "template": t.template, "port": t.port, "kind": t.kind}
                     for t in successor_templates("public")]  # fmt: skip
    azure_vm = any(s.get("present") for s in (sections.get("azure_vm") or {}).get("services") or [])
    out = []
    for t in templates:
        kind = str(t.get("kind"))
        if (kind == "wu" and m.os != "windows") or (kind == "wireserver" and not azure_vm) or kind == "hrw2":
            continue
        out.append(_successor_probe(str(t.get("name")), str(t.get("template")), int(t.get("port", 443)), kind, m))
    for ext in (sections.get("extensions") or {}).get("items") or []:
        host = urlsplit(ext.get("settings_url") or "").hostname
        if "HybridWorker" in ext.get("name", "") and host:
            hosts = [host] + ([host.replace(".jrds.", ".agentsvc.", 1)] if ".jrds." in host else [])
            out += [_successor_probe(n, h, 443, "hrw2", m) for n, h in zip(("hrw2_jrds", "hrw2_agentsvc"), hosts, strict=False)]
    return out


def default_templates(m: Machine) -> list[dict[str, Any]]:
    plan = plan_endpoints("public", m.location, m.account_id)
    return [{"name": t.name, "template": t.template, "port": t.port, "kind": t.kind} for t in plan.templates]


def windows_probes(m: Machine, sections: dict[str, Any], endpoints: list[dict[str, Any]] | None) -> list[dict]:
    proxied = bool((sections.get("proxy") or {}).get("winhttp_proxy"))
    workspaces = list((sections.get("workspaces") or {}).get("configured") or [])
    probes: list[dict] = []
    for tpl in endpoints if endpoints is not None else default_templates(m):
        kind = str(tpl.get("kind", "tcp"))
        if kind in SUCCESSOR_KINDS:
            continue
        for target, ws in _expand(tpl, workspaces):
            probes += _pair(str(tpl.get("name")), target, int(tpl.get("port", 443)), kind, m, proxied, ws)
    for reg in (sections.get("hrw") or {}).get("registrations") or []:
        uri = reg.get("jrds_uri")
        if uri:
            host = urlsplit(uri).hostname or uri
            probes += _pair("jrds_recorded", host, 443, "tcp", m, proxied, None)
            probes += _pair("https_recorded", uri, 443, "https", m, proxied, None)
    return probes + successor_probes(m, sections, endpoints)


def linux_probes(m: Machine, sections: dict[str, Any], endpoints: list[dict[str, Any]] | None) -> list[dict]:
    proxied = bool((sections.get("proxy") or {}).get("env") or (sections.get("proxy") or {}).get("agent_proxy"))
    conf = (sections.get("oms_agent") or {}).get("conf") or {}
    ws = conf.get("WORKSPACE_ID")
    probes: list[dict] = []
    dsc = conf.get("DSC_ENDPOINT")
    if dsc:
        probes += _pair("agentsvc", urlsplit(dsc).hostname or dsc, 443, "tcp", m, proxied, ws)
    if ws:
        probes += _pair("la1", f"{ws}.ods.opinsights.azure.com", 443, "tcp", m, proxied, ws)
        probes += _pair("la2", f"{ws}.oms.opinsights.azure.com", 443, "tcp", m, proxied, ws)
    jrds = (sections.get("worker") or {}).get("jrds_base_uri")
    if jrds:
        probes += _pair("jrds", urlsplit(jrds).hostname or jrds, 443, "tcp", m, proxied, None)
    probes += _pair("internet", "bing.com", 443, "tcp", m, proxied, None)
    probes += _pair("imds", "http://169.254.169.254/metadata/instance?api-version=2018-02-01", 80, "http", m,
                    proxied, None)  # fmt: skip
    seen = {(p["name"], p["target"], p["via"]) for p in probes}
    for tpl in endpoints or []:
        kind = str(tpl.get("kind", "tcp"))
        if kind in SUCCESSOR_KINDS:
            continue
        for target, w in _expand(tpl, [ws] if ws else []):
            for p in _pair(str(tpl.get("name")), target, int(tpl.get("port", 443)), kind, m, proxied, w):
                if (p["name"], p["target"], p["via"]) not in seen:
                    seen.add((p["name"], p["target"], p["via"]))
                    probes.append(p)
    return probes + successor_probes(m, sections, endpoints)


def repo_probes(m: Machine, urls: list[str]) -> list[dict]:
    out = []
    for url in urls:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        out.append(_probe("repo", f"{parts.scheme}://{parts.hostname}", port, "http", "direct", m, False))
    return out
