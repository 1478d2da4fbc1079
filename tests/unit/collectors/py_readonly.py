"""AST check that the Linux collector stays read-only: no writes, no process control, no package managers."""

from __future__ import annotations

import ast

FORBIDDEN_IMPORTS = {
    "subprocess",
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


def violations(source: str) -> list[str]:
    out: list[str] = []
    for node in ast.walk(ast.parse(source)):
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
