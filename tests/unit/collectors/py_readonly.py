"""AST check that the Linux collector stays read-only: no writes, no process control, no package managers.

Facts v2 needs a few read-only commands (``azcmagent show -j`` / ``config list -j`` / ``version``,
``systemctl is-active`` / ``is-enabled``: successor-readiness.md §2.2, §4.5). ``subprocess`` is
therefore allowed under three conditions checked here: it is imported once, at module level, as
``import subprocess``; it is touched only inside ``run_readonly()``, which calls nothing but
``subprocess.run``; and every ``run_readonly(host, TOOL, (ARGS...), timeout)`` call names a literal
tool and literal leading arguments that are on ALLOWED_COMMANDS below, as is every entry of the
collector's own ``READONLY_COMMANDS`` table (which run_readonly() enforces again at run time).
``azcmagent extension list`` (needs a service stopped) is deliberately not on the list;
``azcmagent check -j`` (contacts Azure) is, for the opt-in ``scan --arc-check`` only (a bare
``check`` without ``-j`` is still refused).
"""

from __future__ import annotations

import ast

FORBIDDEN_IMPORTS = {
    "shutil",
    "pty",
    "ctypes",
    "multiprocessing",
    "tempfile",
    "pathlib",
    "importlib",
}
FORBIDDEN_OS = {
    "remove", "unlink", "rmdir", "removedirs", "rename", "renames", "replace", "kill", "killpg", "system", "popen",
    "fork", "forkpty", "chmod", "chown", "lchown", "mkdir", "makedirs", "symlink", "link", "truncate", "ftruncate",
    "write", "putenv", "unsetenv", "setuid", "setgid", "chdir", "mkfifo", "mknod", "utime", "execv", "execve",
    "execvp", "execl", "execlp", "spawnv", "spawnl", "posix_spawn", "posix_spawnp", "startfile",
}  # fmt: skip
FORBIDDEN_METHODS = {"write_text", "write_bytes", "touch", "mkdir", "unlink", "rmdir", "chmod", "symlink_to"}
FORBIDDEN_BUILTINS = {"eval", "exec", "compile", "__import__"}
WRITE_MODES = set("wax+")
RUNNER = "run_readonly"
# (tool, leading arguments) the collector may run; each is read-only by its documentation:
# azcmagent show/config list/version (learn.microsoft.com/azure/azure-arc/servers/azcmagent-show,
# azcmagent-config, azcmagent-version), systemctl is-active/is-enabled (systemctl(1): query only).
ALLOWED_COMMANDS = {
    ("azcmagent", ("show", "-j")),
    ("azcmagent", ("config", "list", "-j")),
    ("azcmagent", ("version",)),
    # azcmagent-check on Learn: tests connectivity only (read-only), but contacts Azure, so the
    # collector runs it only when the params ask (scan --arc-check); any --location/--cloud may follow.
    ("azcmagent", ("check", "-j")),
    ("systemctl", ("is-active",)),
    ("systemctl", ("is-enabled",)),
}
SUBPROCESS_ATTRS = {"run", "PIPE", "DEVNULL", "SubprocessError", "TimeoutExpired"}


def _mode_of(call: ast.Call) -> str | None:
    mode = None
    if len(call.args) >= 2:
        mode = call.args[1]
    for kw in call.keywords:
        if kw.arg == "mode":
            mode = kw.value
    if mode is None:
        return "r"
    if isinstance(mode, ast.Constant) and isinstance(mode.value, str):
        return mode.value
    return None  # not a literal: cannot prove it is read-only


def _literal_command(tool: ast.expr, args: ast.expr) -> tuple[str, tuple[str, ...]] | None:
    """(tool, leading literal arguments) of a run_readonly call, None when the tool is not literal."""
    if not (isinstance(tool, ast.Constant) and isinstance(tool.value, str)):
        return None
    if not isinstance(args, ast.Tuple | ast.List):
        return None
    lead: list[str] = []
    for elt in args.elts:
        if not (isinstance(elt, ast.Constant) and isinstance(elt.value, str)):
            break
        lead.append(elt.value)
    return tool.value, tuple(lead)


def _allowed(tool: str, lead: tuple[str, ...]) -> bool:
    return any(t == tool and lead[: len(p)] == p for t, p in ALLOWED_COMMANDS)


def _subprocess_violations(tree: ast.Module) -> list[str]:
    out: list[str] = []
    runner_nodes: set[int] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == RUNNER:
            runner_nodes = {id(n) for n in ast.walk(node)}
    top_imports = {id(n) for n in tree.body if isinstance(n, ast.Import)}
    for node in ast.walk(tree):
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Import) and any(a.name == "subprocess" for a in node.names):
            if id(node) not in top_imports or any(a.asname for a in node.names if a.name == "subprocess"):
                out.append(f"line {line}: subprocess may only be imported once, at module level, unaliased")
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "subprocess":
            out.append(f"line {line}: from subprocess import ...")
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "subprocess":
            if id(node) not in runner_nodes:
                out.append(f"line {line}: subprocess.{node.attr} outside {RUNNER}()")
            elif node.attr not in SUBPROCESS_ATTRS:
                out.append(f"line {line}: subprocess.{node.attr} not allowed")
        elif isinstance(node, ast.Name) and node.id == "subprocess" and id(node) not in runner_nodes:
            out.append(f"line {line}: subprocess used outside {RUNNER}()")  # an alias would escape the checks
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == RUNNER:
            args = node.args
            cmd = _literal_command(args[1], args[2]) if len(args) >= 3 else None
            if cmd is None or not cmd[1] or not _allowed(*cmd):
                out.append(f"line {line}: {RUNNER}() with a command not on the read-only allowlist: {ast.unparse(node)[:80]}")
        elif isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "READONLY_COMMANDS"
                                                  for t in node.targets):  # fmt: skip
            if not isinstance(node.value, ast.Dict):
                out.append(f"line {line}: READONLY_COMMANDS is not a literal table")
                continue
            for key, value in zip(node.value.keys, node.value.values, strict=True):
                prefixes = value.elts if isinstance(value, ast.Tuple | ast.List) else [value]
                for prefix in prefixes:
                    cmd = _literal_command(key, prefix) if key is not None else None
                    if cmd is None or not _allowed(*cmd):
                        out.append(f"line {line}: READONLY_COMMANDS entry not allowed: {ast.unparse(prefix)[:60]}")
    return out


def violations(source: str) -> list[str]:
    out: list[str] = []
    tree = ast.parse(source)
    out.extend(_subprocess_violations(tree))
    for node in ast.walk(tree):
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            for name in names:
                if name.split(".")[0] in FORBIDDEN_IMPORTS:
                    out.append(f"line {line}: import of {name}")
            if isinstance(node, ast.ImportFrom) and node.module == "os":
                out.extend(
                    f"line {line}: from os import {a.name}" for a in node.names if a.name in FORBIDDEN_OS
                )
        elif isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id == "open":
                mode = _mode_of(node)
                if mode is None or WRITE_MODES & set(mode):
                    out.append(f"line {line}: open() with mode {mode!r}")
            elif isinstance(func, ast.Name) and func.id in FORBIDDEN_BUILTINS:
                out.append(f"line {line}: {func.id}()")
            elif isinstance(func, ast.Attribute):
                base = func.value
                if isinstance(base, ast.Name) and base.id == "os" and func.attr in FORBIDDEN_OS:
                    out.append(f"line {line}: os.{func.attr}()")
                elif func.attr in FORBIDDEN_METHODS:
                    out.append(f"line {line}: .{func.attr}()")
                elif func.attr == "write" and not (
                    isinstance(base, ast.Attribute)
                    and isinstance(base.value, ast.Name)
                    and base.value.id == "sys"
                ):
                    out.append(f"line {line}: .write() on something other than sys.stdout/stderr")
        elif isinstance(node, ast.Assign | ast.AugAssign | ast.Delete):
            targets = node.targets if isinstance(node, ast.Assign | ast.Delete) else [node.target]
            for t in targets:
                if isinstance(t, ast.Subscript) and "environ" in ast.unparse(t.value):
                    out.append(f"line {line}: changes os.environ")
    return out
