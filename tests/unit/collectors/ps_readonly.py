"""Static read-only check for the PowerShell collector, on the tree-sitter-powershell syntax tree.

Everything the script calls must be on an allowlist: command names, ``New-Object`` types and COM
ProgIDs, type literals, static members and instance methods. Anything else (``Set-*``,
``Remove-*``, ``Start-Service``, ``Invoke-Expression``, ``reg add``, ``[IO.File]::WriteAllText``,
``$cfg.SetProxyInfo(...)``) is reported as a violation. PowerShell 7-only syntax is reported too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import tree_sitter
import tree_sitter_powershell

LANGUAGE = tree_sitter.Language(tree_sitter_powershell.language())

# Commands: the Get verb is read-only by PowerShell convention; the rest are named one by one.
ALLOWED_COMMANDS = {
    "test-path", "convertto-json", "convertfrom-json", "select-object", "where-object", "foreach-object",
    "measure-object", "sort-object", "write-output", "out-string", "new-object", "join-path", "split-path",
    "start-sleep",
}  # fmt: skip
LOCAL_FUNCTION = re.compile(r"^(Get|Test|Add|ConvertTo|Invoke)-Umc[A-Za-z]+$")
ALLOWED_NEW_OBJECT = {
    "system.collections.arraylist", "system.net.sockets.tcpclient", "system.net.webproxy", "system.uri",
    "byte[]",  # a receive buffer
    "system.diagnostics.processstartinfo",  # only in PROCESS_FUNCTION, see below
    # the extension worker's hosts: a TLS handshake as a client (SslStream.AuthenticateAsClientAsync on
    # learn.microsoft.com/dotnet/api/system.net.security.sslstream: reads the server certificate only)
    "system.net.security.sslstream",
}  # fmt: skip
ALLOWED_COM = {"agentconfigmanager.mgmtsvccfg"}
# Scriptblock variables that may be invoked with & (they hold literal scriptblocks of this file).
ALLOWED_INVOKED_VARIABLES = {"$block"}

ALLOWED_TYPES = {
    "string", "int", "long", "double", "bool", "char", "byte[]", "void", "hashtable", "scriptblock", "ref",
    "regex", "runspacefactory", "powershell", "system.environment", "system.convert", "system.text.encoding",
    "system.bitconverter", "system.diagnostics.stopwatch", "system.datetime", "system.math",
    "system.net.servicepointmanager", "system.net.securityprotocoltype", "system.net.webrequest",
    "system.net.webexception", "system.net.sockets.socketexception", "system.security.principal.securityidentifier",
    "system.security.principal.ntaccount",
    "string[]", "array", "system.management.automation.pscustomobject",  # type tests (-is), a parameter
    "system.diagnostics.process",  # [Process]::Start only in PROCESS_FUNCTION, see below
    "system.net.dns", "system.security.authentication.authenticationexception",  # hrw2 probes: DNS, TLS errors
}  # fmt: skip
ALLOWED_STATIC = {
    "system.environment": {"osversion", "getenvironmentvariable"},  # a read of the machine environment
    "system.convert": {"frombase64string"},
    "system.text.encoding": {"utf8", "ascii"},
    "system.bitconverter": {"toint32"},
    "system.diagnostics.stopwatch": {"startnew"},
    "system.datetime": {"utcnow"},
    "system.math": {"max", "min"},
    "long": {"tryparse"},
    "regex": {"replace"},
    "runspacefactory": {"createrunspacepool"},
    "powershell": {"create"},
    "system.net.servicepointmanager": {"securityprotocol"},
    "system.net.securityprotocoltype": {"tls12"},
    "system.net.webrequest": {"create"},
    "system.net.dns": {"gethostaddresses"},  # a name lookup (Dns.GetHostAddresses: query only)
    "scriptblock": {"create"},
    "system.diagnostics.process": {"start"},  # only in PROCESS_FUNCTION
}
# Static properties the script may assign (process-local settings only).
ALLOWED_STATIC_SET = {("system.net.servicepointmanager", "securityprotocol")}
ALLOWED_METHODS = {
    "tostring", "trim", "substring", "indexof", "lastindexof", "contains", "containskey", "startswith", "split",
    "replace", "tolower", "toarray", "add", "getstring", "getvalue", "getcloudworkspaces", "getaccessrules",
    "translate", "touniversaltime", "addhours", "connectasync", "wait", "close", "dispose", "getresponse",
    "open", "addscript", "addargument", "begininvoke", "endinvoke", "beginstop",
    "send", "receive", "getbytes",  # Socket: the CONNECT request a proxy probe asks for its tunnel with
    "padleft",  # string: sortable version keys
    "getstream", "authenticateasclientasync",  # TcpClient/SslStream: the hrw2 probe's TLS handshake
    "readtoendasync", "waitforexit", "kill",  # only in PROCESS_FUNCTION: its own child's output and timeout
}  # fmt: skip
# Facts v2 runs one program: azcmagent.exe, read-only (azcmagent-show, azcmagent-config `list`,
# azcmagent-version on learn.microsoft.com/azure/azure-arc/servers). Never `azcmagent check` (it
# contacts Azure endpoints) nor `azcmagent extension list` (it needs the extension service stopped).
# Everything that starts or handles a process is confined to PROCESS_FUNCTION, whose ProcessStartInfo
# may only get FileName = $UmcAzcmagentExe and Arguments from AZCMAGENT_ARGUMENTS, and
# $UmcAzcmagentExe may only be the agent's documented install path.
PROCESS_FUNCTION = "invoke-umcazcmagent"
PROCESS_ONLY = {("method", "readtoendasync"), ("method", "waitforexit"), ("method", "kill"),
                ("static", "system.diagnostics.process::start"), ("new", "system.diagnostics.processstartinfo")}  # fmt: skip
# azcmagent-check (Learn) tests connectivity and changes nothing, but contacts Azure: the collector
# runs it only for scan --arc-check, and a region joins it only as the one expression below, after
# PROCESS_FUNCTION checked it against ^[a-z0-9]{0,40}$ (test_windows_static.py pins that line).
AZCMAGENT_ARGUMENTS = {"show -j", "config list -j", "version", "check -j"}
AZCMAGENT_ARGUMENT_EXPRESSIONS = {"'check -j --location ' + $region"}
AZCMAGENT_PATH = "join-path $env:programfiles 'azureconnectedmachineagent\\azcmagent.exe'"
PS7_ONLY_NODES = {"pipeline_chain_tail"}
PS7_ONLY_PARAMETERS = {"-parallel"}
PS7_ONLY_TOKENS = re.compile(r"\?\?|\?\.|\?\[")


@dataclass(frozen=True)
class Violation:
    line: int
    what: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.what}"


def _text(src: bytes, node: tree_sitter.Node) -> str:
    return src[node.start_byte : node.end_byte].decode("utf-8", errors="replace")


def _walk(node: tree_sitter.Node):
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(reversed(n.children))


def _type_name(src: bytes, type_literal: tree_sitter.Node) -> str:
    name = _text(src, type_literal).strip()[1:-1].strip().lower()
    return name[len("system.") :] if name.startswith("system.") and name[7:] in ALLOWED_TYPES else name


def _member_name(src: bytes, node: tree_sitter.Node) -> str | None:
    for c in node.children:
        if c.type == "member_name":
            return _text(src, c).strip().lower()
    return None


def _first_child(node: tree_sitter.Node, *types: str) -> tree_sitter.Node | None:
    return next((c for c in node.children if c.type in types), None)


def _command_arguments(src: bytes, cmd: tree_sitter.Node) -> list[str]:
    elements = _first_child(cmd, "command_elements")
    if elements is None:
        return []
    return [_text(src, c).strip() for c in elements.children if c.type != "command_argument_sep"]


def _check_new_object(src: bytes, cmd: tree_sitter.Node, line: int) -> list[Violation]:
    args = [a.strip("'\"").lower() for a in _command_arguments(src, cmd)]
    if "-comobject" in args:
        progid = args[args.index("-comobject") + 1] if args.index("-comobject") + 1 < len(args) else ""
        return (
            []
            if progid in ALLOWED_COM
            else [Violation(line, f"New-Object -ComObject {progid!r} not allowed")]
        )
    positional = [a for a in args if not a.startswith("-")]
    if "-typename" in args:
        positional = [args[args.index("-typename") + 1]]
    if not positional:
        return [Violation(line, "New-Object without a literal type name")]
    type_name = positional[0].split("(")[0]
    if type_name not in ALLOWED_NEW_OBJECT:
        return [Violation(line, f"New-Object {type_name!r} not allowed")]
    return _process_only(src, cmd, line, "new", type_name)


def _function_of(src: bytes, node: tree_sitter.Node) -> str | None:
    """Lower-case name of the script function that encloses ``node`` (None at script level)."""
    cur = node.parent
    while cur is not None:
        if cur.type == "function_statement":
            name_node = _first_child(cur, "function_name")
            return _text(src, name_node).strip().lower() if name_node is not None else None
        cur = cur.parent
    return None


def _process_only(src: bytes, node: tree_sitter.Node, line: int, kind: str, what: str) -> list[Violation]:
    if (kind, what) in PROCESS_ONLY and _function_of(src, node) != PROCESS_FUNCTION:
        return [Violation(line, f"{kind} {what} is only allowed inside {PROCESS_FUNCTION}")]
    return []


def _static_target(src: bytes, node: tree_sitter.Node) -> tuple[str, str] | None:
    """(type, member) when node is ``[Type]::Member`` (or its invocation)."""
    children = node.children
    if len(children) >= 3 and children[0].type == "type_literal" and children[1].type == "::":
        return _type_name(src, children[0]), (_member_name(src, node) or "")
    return None


def check(source: str | bytes, *, invoked_variables: frozenset[str] = frozenset()) -> list[Violation]:
    """Every way the script departs from the read-only allowlist (empty list = clean).

    ``invoked_variables`` widens what ``&`` may invoke (the bootstrap runs the script it read).
    """
    src = source.encode("utf-8") if isinstance(source, str) else source
    tree = tree_sitter.Parser(LANGUAGE).parse(src)
    out: list[Violation] = []
    local_functions: set[str] = set()
    for n in _walk(tree.root_node):
        if n.type == "function_statement":
            name_node = _first_child(n, "function_name")
            name = _text(src, name_node) if name_node is not None else ""
            if not LOCAL_FUNCTION.match(name):
                out.append(Violation(n.start_point[0] + 1, f"function name {name!r} is not Verb-UmcNoun"))
            local_functions.add(name.lower())
    for n in _walk(tree.root_node):
        line = n.start_point[0] + 1
        if n.type == "ERROR" or n.is_missing:
            out.append(Violation(line, f"syntax error near {_text(src, n)[:40]!r}"))
        elif n.type in PS7_ONLY_NODES:
            out.append(Violation(line, f"PowerShell 7-only syntax {_text(src, n)[:20]!r}"))
        elif n.type == "command_parameter" and _text(src, n).lower() in PS7_ONLY_PARAMETERS:
            out.append(Violation(line, f"PowerShell 7-only parameter {_text(src, n)!r}"))
        elif n.type == "command":
            out.extend(_check_command(src, n, line, local_functions, invoked_variables))
        elif n.type == "type_literal":
            name = _type_name(src, n)
            if name not in ALLOWED_TYPES:
                out.append(Violation(line, f"type [{name}] not allowed"))
        elif n.type in ("member_access", "invokation_expression"):
            out.extend(_check_member(src, n, line))
        elif n.type == "assignment_expression":
            out.extend(_check_assignment(src, n, line))
        elif n.type in ("redirection", "file_redirection_operator", "merging_redirection_operator"):
            target = _text(src, n.parent if n.type.endswith("operator") else n)
            if "$null" not in target.lower():
                out.append(Violation(line, f"output redirection {target.strip()!r} (writes a file)"))
        elif n.child_count == 0 and n.type not in ("comment",) and n.parent is not None:
            if n.parent.type not in (
                "string_literal",
                "expandable_string_literal",
                "verbatim_string_characters",
            ):
                if PS7_ONLY_TOKENS.search(_text(src, n)) and n.type not in ("verbatim_string_characters",):
                    out.append(Violation(line, f"PowerShell 7-only operator {_text(src, n)!r}"))
    return out


def _check_command(
    src: bytes, cmd: tree_sitter.Node, line: int, local_functions: set[str], invoked: frozenset[str]
) -> list[Violation]:
    name_node = _first_child(cmd, "command_name")
    if name_node is None:
        expr = _first_child(cmd, "command_name_expr")
        text = _text(src, expr).strip().lower() if expr is not None else "?"
        if expr is not None and any(c.type == "script_block_expression" for c in expr.children):
            return []  # & { ... }: the block's own code is checked like the rest
        if text in ALLOWED_INVOKED_VARIABLES or text in invoked:
            return []
        return [Violation(line, f"dynamic invocation of {text[:40]!r} not allowed")]
    name = _text(src, name_node).strip().lower()
    if name == "new-object":
        return _check_new_object(src, cmd, line)
    if name in ALLOWED_COMMANDS or name in local_functions or name.startswith("get-"):
        return []
    return [Violation(line, f"command {name!r} not allowed")]


def _check_member(src: bytes, node: tree_sitter.Node, line: int) -> list[Violation]:
    static = _static_target(src, node)
    if static is not None:
        type_name, member = static
        if member not in ALLOWED_STATIC.get(type_name, set()):
            return [Violation(line, f"static member [{type_name}]::{member} not allowed")]
        return _process_only(src, node, line, "static", f"{type_name}::{member}")
    if node.type == "invokation_expression" or _is_called(node):
        method = _member_name(src, node)
        if method is not None and method not in ALLOWED_METHODS:
            return [Violation(line, f"method .{method}() not allowed")]
        if method is not None:
            return _process_only(src, node, line, "method", method)
    return []


def _is_called(node: tree_sitter.Node) -> bool:
    """In argument mode (``Cmd $x.Method('a')``) a call is a member access followed by an argument list."""
    cur = node
    while cur.parent is not None and cur.parent.type in ("unary_expression", "array_literal_expression"):
        if cur.parent.children[-1] != cur:
            break
        cur = cur.parent
    return cur.next_sibling is not None and cur.next_sibling.type == "argument_list"


def _check_assignment(src: bytes, node: tree_sitter.Node, line: int) -> list[Violation]:
    left = _first_child(node, "left_assignment_expression")
    if left is None:
        return []
    text = _text(src, left).strip().lower()
    if text.startswith("$env:"):
        return [Violation(line, f"assignment to environment variable {text!r}")]
    right = _text(src, node)[left.end_byte - node.start_byte :].strip()
    value = right[1:].strip() if right.startswith("=") else None  # plain '=' only
    if text.endswith(".arguments") or text.endswith(".filename") or text == "$umcazcmagentexe":
        # the one program the collector starts, and how (PROCESS_FUNCTION above)
        inside = _function_of(src, node) == PROCESS_FUNCTION
        literal = bool(value) and value.strip("'\"") in AZCMAGENT_ARGUMENTS and value[0] == value[-1] and value[0] in "'\""
        if text.endswith(".arguments") and not (inside and (literal or (value or "").lower() in AZCMAGENT_ARGUMENT_EXPRESSIONS)):
            return [Violation(line, f"process arguments {right[:40]!r} not on the azcmagent read-only list")]
        if text.endswith(".filename") and not (inside and (value or "").lower() == "$umcazcmagentexe"):
            return [Violation(line, f"process file name {right[:40]!r} is not $UmcAzcmagentExe")]
        if text == "$umcazcmagentexe" and (_function_of(src, node) is not None or (value or "").lower() != AZCMAGENT_PATH):
            return [Violation(line, f"$UmcAzcmagentExe may only be the agent's install path, not {right[:60]!r}")]
    for n in _walk(left):
        if n.type == "member_access":
            static = _static_target(src, n)
            if static is not None and static not in ALLOWED_STATIC_SET:
                return [Violation(line, f"assignment to static [{static[0]}]::{static[1]}")]
    return []
