"""Containerlab topology files are Go templates: the subset of ``text/template`` they use.

containerlab renders every topology file with Go's ``text/template`` before it parses the
YAML (``core/file.go``: ``LoadTopologyFromFile``), with the variables of the files
``<file name without extension>_vars.{yaml,yml,json}`` beside it (merged in name order),
the sub-templates ``clab_templates/*.gotmpl`` and its own functions
(``utils/template.go``: ``seq``, ``add``...). :func:`render_topology` does the same, so
a ``*.clab.gotmpl`` that generates its nodes and links with ``range`` deploys as it does
under containerlab; a file without ``{{`` is returned unchanged.

What is covered, with Go's semantics: text and actions with ``{{-``/``-}}`` trimming,
comments, pipelines (``|``, parenthesised, variables declared with ``:=`` and assigned
with ``=``, field chains on maps, variables and function results), ``if``/``else if``/
``else``, ``range`` (lists, maps in key order, integers; ``break``, ``continue``,
``else``), ``with``/``else with``, ``define``/``template``/``block``, Go's built-in
functions (``and``, ``or``, ``not``, ``len``, ``index``, ``print``, ``printf``,
``println``, ``eq``, ``ne``, ``lt``, ``le``, ``gt``, ``ge``, ``html``, ``js``,
``urlquery``) and containerlab's (``ToJSON``, ``ToJSONPretty``, ``add``, ``subtract``,
``mul``, ``div``, ``idiv``, ``rem``, ``seq``, ``slice``, ``strings.Split``,
``strings.ReplaceAll``, ``conv.Join``, ``conv.ToInt``, ``net.CIDRHost``). Values print as
Go's ``fmt.Sprint`` prints them (a missing map key as ``<no value>``). Anything else is a
:class:`TemplateError` naming the line, as Go's parser or executor would refuse it.
"""

from __future__ import annotations

import glob
import html
import ipaddress
import json
import math
import re
import urllib.parse
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence
    from pathlib import Path

__all__ = ["TemplateError", "render", "render_topology", "template_vars"]

VARS_SUFFIX = "_vars"
VARS_EXTENSIONS = (".yaml", ".yml", ".json")
SUBTEMPLATES = "clab_templates"
#: How deep ``{{template}}`` may call itself: Go stops at 100,000 (maxExecDepth); a
#: Python stack of that depth would overflow first, so the limit here is lower.
MAX_DEPTH = 1000


class TemplateError(Exception):
    """A template Go's text/template would refuse: its line (1-based) and why."""

    def __init__(self, line: int, message: str, name: str = "") -> None:
        super().__init__(message)
        self.line = line
        self.message = message
        self.name = name


# ---------------------------------------------------------------- lexing


@dataclass(frozen=True)
class Tok:
    kind: str  # ident, field, var, str, num, char, bool, nil, dot, op
    value: Any
    line: int
    spaced: bool  # white space came before it


_TOKEN = re.compile(
    r"""(?P<space>[ \t\r\n]+)
    |(?P<str>"(?:[^"\\\n]|\\.)*")
    |(?P<raw>`[^`]*`)
    |(?P<char>'(?:[^'\\\n]|\\.)+')
    |(?P<decl>:=)
    |(?P<op>[|(),=])
    |(?P<var>\$[A-Za-z0-9_]*)
    |(?P<field>\.[A-Za-z_][A-Za-z0-9_]*)
    |(?P<num>[+-]?(?:0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|(?:\d[\d_]*\.?\d*|\.\d+)(?:[eE][+-]?\d+)?))
    |(?P<dot>\.)
    |(?P<ident>[A-Za-z_][A-Za-z0-9_]*)""",
    re.VERBOSE,
)


def _number(text: str, line: int) -> int | float:
    clean = text.replace("_", "")
    try:
        return int(clean, 0)
    except ValueError:
        pass
    try:
        value = float(clean)
    except ValueError:
        raise TemplateError(line, f"bad number syntax: {text!r}") from None
    return int(value) if value.is_integer() and re.fullmatch(r"[+-]?\d+", clean) else value


def _string(text: str, line: int) -> str:
    try:
        value = json.loads(text) if "\\x" not in text and "\\'" not in text else None
    except json.JSONDecodeError:
        value = None
    if value is None:
        try:
            value = text[1:-1].encode("latin-1", "backslashreplace").decode("unicode_escape")
        except UnicodeDecodeError:
            raise TemplateError(line, f"bad string {text}") from None
    return str(value)


def _tokens(body: str, line: int) -> list[Tok]:
    """The tokens of one action's text (between its delimiters)."""
    out: list[Tok] = []
    pos, spaced = 0, True
    while pos < len(body):
        m = _TOKEN.match(body, pos)
        if m is None:
            raise TemplateError(line, f"unexpected {body[pos]!r} in command")
        kind, text = m.lastgroup or "", m.group(0)
        if kind == "space":
            spaced = True
        else:
            value: Any = text
            if kind == "str":
                value = _string(text, line)
            elif kind == "raw":
                kind, value = "str", text[1:-1]
            elif kind == "char":
                kind, value = "num", ord(_string('"' + text[1:-1] + '"', line))
            elif kind == "num":
                value = _number(text, line)
            elif kind == "ident" and text in ("true", "false"):
                kind, value = "bool", text == "true"
            elif kind == "ident" and text == "nil":
                kind, value = "nil", None
            elif kind == "field":
                value = text[1:]
            out.append(Tok(kind, value, line, spaced))
            spaced = False
        line += text.count("\n")
        pos = m.end()
    return out


@dataclass
class _Action:
    tokens: list[Tok]
    line: int


@dataclass
class _Text:
    text: str
    line: int  # of its first character


_Item = _Text | _Action


def _lex(text: str) -> list[_Item]:
    """Split the template into text and actions, applying the trim markers and dropping
    comments, as Go's lexer does."""
    items: list[_Item] = []
    pos, line = 0, 1
    trim_next = False
    while True:
        start = text.find("{{", pos)
        chunk = text[pos:] if start < 0 else text[pos:start]
        trim_left = (
            start >= 0
            and text[start + 2 : start + 3] == "-"
            and (text[start + 3 : start + 4] in (" ", "\t", "\r", "\n"))
        )
        shown = chunk
        if trim_next:
            shown = shown.lstrip(" \t\r\n")
        shown_line = line + chunk[: len(chunk) - len(shown)].count("\n")
        if trim_left:
            shown = shown.rstrip(" \t\r\n")
        if shown:
            items.append(_Text(shown, shown_line))
        line += chunk.count("\n")
        if start < 0:
            return items
        inner = start + (4 if trim_left else 2)
        body_start, action_line = inner, line
        rest = text[inner:].lstrip(" \t\r\n") if trim_left else text[inner:]
        if rest.startswith("/*"):
            close = text.find("*/", inner)
            if close < 0:
                raise TemplateError(line, "unclosed comment")
            after = close + 2
            trim_next = text.startswith(" -}}", after)
            if not trim_next and not text.startswith("}}", after):
                raise TemplateError(line, "comment ends before closing delimiter")
            end = after + (4 if trim_next else 2)
            line += text[start:end].count("\n")
            pos = end
            continue
        end = _action_end(text, body_start, line)
        trim_next = text[end - 1 : end] == "-" and text[end - 2 : end - 1] in (
            " ",
            "\t",
            "\r",
            "\n",
        )
        body = text[body_start : end - 1 if trim_next else end]
        items.append(_Action(_tokens(body, action_line), action_line))
        line += text[start : end + 2].count("\n")
        pos = end + 2


def _action_end(text: str, pos: int, line: int) -> int:
    """Where the action starting at ``pos`` closes (the index of its ``}}``)."""
    while pos < len(text):
        c = text[pos]
        if text.startswith("}}", pos):
            return pos
        if c in "\"'":
            pos += 1
            while pos < len(text) and text[pos] != c:
                if text[pos] == "\n":
                    raise TemplateError(line, "unterminated quoted string")
                pos += 2 if text[pos] == "\\" else 1
        elif c == "`":
            close = text.find("`", pos + 1)
            if close < 0:
                raise TemplateError(line, "unterminated raw quoted string")
            pos = close
        pos += 1
    raise TemplateError(line, "unclosed action")


# ---------------------------------------------------------------- parsing


@dataclass
class Node:
    line: int


@dataclass
class Lit(Node):
    value: Any


@dataclass
class Dot(Node):
    pass


@dataclass
class Field(Node):
    names: list[str]  # on dot


@dataclass
class Var(Node):
    name: str
    names: list[str] = field(default_factory=list)


@dataclass
class Func(Node):
    name: str


@dataclass
class Chain(Node):
    node: Node
    names: list[str]


@dataclass
class Command(Node):
    args: list[Node]


@dataclass
class Pipe(Node):
    decl: list[str]
    assign: bool
    cmds: list[Command]


@dataclass
class Text(Node):
    text: str


@dataclass
class Output(Node):
    pipe: Pipe


@dataclass
class Branch(Node):
    kind: str  # if, range, with
    pipe: Pipe
    body: list[Node]
    orelse: list[Node]


@dataclass
class Include(Node):
    name: str
    pipe: Pipe | None


@dataclass
class Jump(Node):
    kind: str  # break, continue


class _Parser:
    def __init__(self, items: list[_Item], templates: dict[str, list[Node]]) -> None:
        self.items = items
        self.pos = 0
        self.templates = templates

    def parse(self) -> list[Node]:
        body, end = self.block(top=True)
        if end is not None:
            raise TemplateError(end.line, f"unexpected {{{{{end.tokens[0].value}}}}}")
        return body

    def block(self, top: bool = False) -> tuple[list[Node], _Action | None]:
        """Nodes up to an ``else`` or ``end`` (returned, unconsumed tokens and all)."""
        nodes: list[Node] = []
        while self.pos < len(self.items):
            item = self.items[self.pos]
            self.pos += 1
            if isinstance(item, _Text):
                nodes.append(Text(item.line, item.text))
                continue
            toks = item.tokens
            if not toks:
                raise TemplateError(item.line, "missing value for command")
            word = toks[0].value if toks[0].kind == "ident" else None
            if word in ("end", "else"):
                if top:
                    raise TemplateError(item.line, f"unexpected {{{{{word}}}}}")
                return nodes, item
            if word in ("if", "range", "with"):
                nodes.append(self.branch(word, toks[1:], item.line))
            elif word in ("define", "block"):
                name = self.name(toks, item.line)
                body, end = self.block()
                self.expect_end(end, item.line, word)
                self.templates[name] = body
                if word == "block":
                    nodes.append(Include(item.line, name, self.pipe(toks[2:], item.line)))
                elif not top:
                    raise TemplateError(item.line, "unexpected <define> in command")
            elif word == "template":
                name = self.name(toks, item.line)
                pipe = self.pipe(toks[2:], item.line) if len(toks) > 2 else None
                nodes.append(Include(item.line, name, pipe))
            elif word in ("break", "continue"):
                if len(toks) > 1:
                    raise TemplateError(item.line, f"unexpected {toks[1].value} in {{{{{word}}}}}")
                nodes.append(Jump(item.line, word))
            else:
                nodes.append(Output(item.line, self.pipe(toks, item.line, decl_ok=True)))
        if top:
            return nodes, None
        raise TemplateError(self.items[-1].line if self.items else 1, "unexpected EOF")

    @staticmethod
    def name(toks: list[Tok], line: int) -> str:
        if len(toks) < 2 or toks[1].kind != "str":
            raise TemplateError(line, f"unexpected name in {toks[0].value} clause")
        return str(toks[1].value)

    @staticmethod
    def expect_end(end: _Action | None, line: int, word: str) -> None:
        if end is None or end.tokens[0].value != "end" or len(end.tokens) > 1:
            raise TemplateError(line, f"expected end; found {{{{{_show(end)}}}}} in {word}")

    def branch(self, word: str, toks: list[Tok], line: int) -> Branch:
        pipe = self.pipe(toks, line, decl_ok=True, pair_ok=word == "range")
        body, end = self.block()
        if end is None:
            raise TemplateError(line, f"unexpected EOF in {word}")
        orelse: list[Node] = []
        rest = end.tokens[1:]
        if end.tokens[0].value == "else":
            if rest and rest[0].kind == "ident" and rest[0].value in ("if", "with"):
                if rest[0].value != word:
                    raise TemplateError(end.line, f"else {rest[0].value} in {word}")
                # {{else if x}} is {{else}}{{if x}}...{{end}}{{end}}, sharing the outer end.
                orelse = [self.branch(word, rest[1:], end.line)]
                return Branch(line, word, pipe, body, orelse)
            if rest:
                raise TemplateError(end.line, f"unexpected {rest[0].value} in else")
            orelse, end = self.block()
        self.expect_end(end, line, word)
        return Branch(line, word, pipe, body, orelse)

    def pipe(
        self, toks: list[Tok], line: int, decl_ok: bool = False, pair_ok: bool = False
    ) -> Pipe:
        decl: list[str] = []
        assign = False
        i = 0
        if decl_ok and toks and toks[0].kind == "var":
            j, names = 0, []
            while j < len(toks) and toks[j].kind == "var":
                names.append(toks[j].value)
                if j + 1 < len(toks) and toks[j + 1].value == "," and pair_ok:
                    j += 2
                    continue
                j += 1
                break
            if j < len(toks) and toks[j].kind in ("decl", "op") and toks[j].value in (":=", "="):
                if len(names) > 2 or (len(names) == 2 and not pair_ok):
                    raise TemplateError(line, "too many declarations in command")
                decl, assign, i = names, toks[j].value == "=", j + 1
        cmds, i = self.commands(toks, i, line, closing=None)
        if not cmds:
            raise TemplateError(line, "missing value for command")
        return Pipe(line, decl, assign, cmds)

    def commands(
        self, toks: list[Tok], i: int, line: int, closing: str | None
    ) -> tuple[list[Command], int]:
        cmds: list[Command] = []
        args: list[Node] = []
        while i < len(toks):
            t = toks[i]
            if t.kind == "op" and t.value == ")":
                if closing != ")":
                    raise TemplateError(line, "unexpected right paren")
                break
            if t.kind == "op" and t.value == "|":
                if not args:
                    raise TemplateError(line, "missing command")
                cmds.append(Command(line, args))
                args = []
                i += 1
                continue
            node, i = self.operand(toks, i, line)
            args.append(node)
        else:
            if closing == ")":
                raise TemplateError(line, "unclosed left paren")
        if args:
            cmds.append(Command(line, args))
        elif cmds:
            raise TemplateError(line, "missing command")
        return cmds, i

    def operand(self, toks: list[Tok], i: int, line: int) -> tuple[Node, int]:
        t = toks[i]
        i += 1
        node: Node
        if t.kind == "op" and t.value == "(":
            cmds, i = self.commands(toks, i, line, closing=")")
            if not cmds:
                raise TemplateError(line, "missing value for parenthesized pipeline")
            node = Pipe(line, [], False, cmds)
            i += 1
        elif t.kind == "field":
            names = [t.value]
            while i < len(toks) and toks[i].kind == "field" and not toks[i].spaced:
                names.append(toks[i].value)
                i += 1
            return Field(line, names), i
        elif t.kind == "var":
            names = []
            while i < len(toks) and toks[i].kind == "field" and not toks[i].spaced:
                names.append(toks[i].value)
                i += 1
            return Var(line, t.value, names), i
        elif t.kind == "dot":
            node = Dot(line)
        elif t.kind == "ident":
            if t.value not in FUNCS:
                raise TemplateError(line, f'function "{t.value}" not defined')
            node = Func(line, t.value)
        elif t.kind in ("str", "num", "bool", "nil"):
            node = Lit(line, t.value)
        else:
            raise TemplateError(line, f"unexpected {t.value!r} in command")
        names = []
        while i < len(toks) and toks[i].kind == "field" and not toks[i].spaced:
            names.append(toks[i].value)
            i += 1
        return (Chain(line, node, names) if names else node), i


def _show(action: _Action | None) -> str:
    return "EOF" if action is None else " ".join(str(t.value) for t in action.tokens)


# ---------------------------------------------------------------- values, as Go prints them


def _float(value: float) -> str:
    """``fmt.Sprint`` of a float64 (strconv's shortest 'g'): %e below exponent -4 or from 6."""
    if math.isnan(value):
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "+Inf" if value > 0 else "-Inf"
    sign = "-" if str(value).startswith("-") else ""
    if value == 0:
        return sign + "0"
    exact = Decimal(repr(abs(value)))
    _, digit_tuple, exp = exact.as_tuple()
    digits = "".join(map(str, digit_tuple))
    point = len(digits) + int(exp)  # where the decimal point falls in the digits
    digits = digits.rstrip("0") or "0"
    exponent = point - 1
    if exponent < -4 or exponent >= 6:
        head = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{sign}{head}e{'+' if exponent >= 0 else '-'}{abs(exponent):02d}"
    if point <= 0:
        return f"{sign}0.{'0' * -point}{digits}"
    if point >= len(digits):
        return sign + digits + "0" * (point - len(digits))
    return f"{sign}{digits[:point]}.{digits[point:]}"


def sprint(value: Any) -> str:
    """How Go's ``fmt.Sprint`` prints a value decoded from YAML (nil as ``<no value>``)."""
    if value is None or value is MISSING:
        return "<no value>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _float(value)
    if isinstance(value, (list, tuple)):
        return "[" + " ".join(_inner(v) for v in value) + "]"
    if isinstance(value, dict):
        keys = sorted(value, key=_sort_key)
        return "map[" + " ".join(f"{_inner(k)}:{_inner(value[k])}" for k in keys) + "]"
    return str(value)


def _inner(value: Any) -> str:
    return "<nil>" if value is None else sprint(value)


def _sort_key(key: Any) -> tuple[int, Any]:
    if isinstance(key, bool):
        return (0, key)
    if isinstance(key, (int, float)):
        return (1, key)
    return (2, str(key))


def truth(value: Any) -> bool:
    """Go's ``if``: false, 0, nil and empty strings and collections are false."""
    if value is None or value is MISSING:
        return False
    if isinstance(value, (bool, int, float, str, list, tuple, dict)):
        return bool(value)
    return True


# ---------------------------------------------------------------- functions


def _int(value: Any) -> int:
    """containerlab's ``ToInt64`` (strings may be numbers with commas, floats truncate)."""
    if isinstance(value, str):
        text = value.replace(",", "")
        try:
            return int(text, 0)
        except ValueError:
            try:
                return int(float(text))
            except ValueError:
                raise ValueError(f"could not convert {value!r} to int64") from None
    if isinstance(value, (bool, int)):
        return int(value)
    if isinstance(value, float):
        return int(value)
    raise ValueError(f"could not convert {sprint(value)} to int64")


def _is_float(value: Any) -> bool:
    if isinstance(value, float):
        return True
    if isinstance(value, str):
        try:
            float(value.replace(",", ""))
        except ValueError:
            return False
        try:
            int(value.replace(",", ""), 0)
        except ValueError:
            return True
    return False


def _num(value: Any) -> float:
    if isinstance(value, str):
        try:
            return float(_int(value)) if not _is_float(value) else float(value.replace(",", ""))
        except ValueError:
            raise ValueError(f"could not convert {value!r} to float64") from None
    if isinstance(value, (bool, int, float)):
        return float(value)
    raise ValueError(f"could not convert {sprint(value)} to float64")


def _arith(op: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    def apply(a: Any, b: Any) -> Any:
        if _is_float(a) or _is_float(b):
            return op(_num(a), _num(b))
        return op(_int(a), _int(b))

    return apply


def _div(a: Any, b: Any) -> float:
    if _num(b) == 0:
        raise ValueError("error: division by 0")
    return _num(a) / _num(b)


def _idiv(a: Any, b: Any) -> int:
    x, y = _int(a), _int(b)
    if y == 0:
        raise ValueError("error: division by 0")
    q = abs(x) // abs(y)
    return q if (x >= 0) == (y >= 0) else -q  # Go truncates toward zero


def _rem(a: Any, b: Any) -> int:
    x, y = _int(a), _int(b)
    if y == 0:
        raise ValueError("expected a number: divisor is zero")
    return x - _idiv(x, y) * y


def _seq(*args: Any) -> list[int]:
    """gomplate's ``seq``: end; start end; start end step (counting down too), inclusive."""
    start, step = 1, 1
    if len(args) == 1:
        end = _int(args[0])
    elif len(args) == 2:
        start, end = _int(args[0]), _int(args[1])
    elif len(args) == 3:
        start, end, step = _int(args[0]), _int(args[1]), _int(args[2])
    else:
        raise ValueError(f"expected 1, 2, or 3 arguments, got {len(args)}")
    if step == 0:
        return []
    if (end < start and step > 0) or (end > start and step < 0):
        step = -step
    end -= _rem(end - start, step)
    return list(range(start, end + (1 if step > 0 else -1), step))


def _json(value: Any) -> str:
    return json.dumps(_jsonable(value), separators=(",", ":"), sort_keys=True, ensure_ascii=False)


def _json_pretty(value: Any, prefix: str, indent: str) -> str:
    text = json.dumps(_jsonable(value), indent=indent, sort_keys=True, ensure_ascii=False)
    return text.replace("\n", "\n" + prefix)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {sprint(k) if not isinstance(k, str) else k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def _to_string(value: Any) -> str:
    return "nil" if value is None else sprint(value)


class _Strings:
    def Split(self, sep: str, s: Any) -> list[str]:
        text = _to_string(s)
        return list(text) if sep == "" else text.split(sep)

    def ReplaceAll(self, old: str, new: str, s: Any) -> str:
        if old == "":
            return _to_string(s)
        return "" if s is None else _to_string(s).replace(old, new)


class _Conv:
    def Join(self, values: Any, sep: str) -> str:
        if not isinstance(values, (list, tuple)):
            raise ValueError("input to Join must be an array")
        return sep.join(_to_string(v) for v in values)

    def ToInt(self, value: Any) -> int:
        return _int(value)


class _Net:
    def CIDRHost(self, hostnum: Any, prefix: Any) -> str:
        network = ipaddress.ip_network(_to_string(prefix), strict=False)
        n = _int(hostnum)
        size = network.num_addresses
        if not -size <= n < size:
            raise ValueError(f"prefix of {network} does not accommodate host number {n}")
        base = int(network.network_address) + (n if n >= 0 else size + n)
        return str(ipaddress.ip_address(base))


def _printf(fmt: str, *args: Any) -> str:
    """Go's ``fmt.Sprintf`` for the verbs templates use (%v %s %d %q %x %X %o %b %f %e %g %t
    %c %%, with flags, width and precision)."""
    out: list[str] = []
    it = iter(args)
    missing = object()
    for m in re.finditer(r"%([-+# 0]*)(\d+|\*)?(?:\.(\d+|\*)?)?([a-zA-Z%])|[^%]+|%", fmt):
        if m.group(4) is None:
            out.append(m.group(0))
            continue
        flags, width, prec, verb = m.groups()
        if verb == "%":
            out.append("%")
            continue
        if width == "*":
            width = str(_int(next(it, 0)))
        if prec == "*":
            prec = str(_int(next(it, 0)))
        arg = next(it, missing)
        if arg is missing:
            out.append(f"%!{verb}(MISSING)")
            continue
        if verb in "vs":
            text = sprint(arg) if arg is not None else "<nil>"
            if prec is not None and prec != "":
                text = text[: int(prec)]
            out.append(format(text, (">" if "-" not in flags else "<") + (width or "")))
        elif verb == "q":
            out.append(json.dumps(_to_string(arg), ensure_ascii=False))
        elif verb == "t":
            out.append(format(sprint(arg), (width or "")))
        elif verb in "dxXob":
            py = {"d": "d", "x": "x", "X": "X", "o": "o", "b": "b"}[verb]
            out.append(format(_int(arg), _py_spec(flags, width, None) + py))
        elif verb in "feEgG":
            precision = prec if prec not in (None, "") else ("6" if verb in "feE" else None)
            out.append(format(_num(arg), _py_spec(flags, width, precision) + verb))
        elif verb == "c":
            out.append(chr(_int(arg)))
        else:
            out.append(f"%!{verb}({sprint(arg)})")
    extra = list(it)
    if extra:
        out.append("%!(EXTRA " + ", ".join(sprint(a) for a in extra) + ")")
    return "".join(out)


def _py_spec(flags: str, width: str | None, prec: str | None) -> str:
    spec = ""
    if "-" in flags:
        spec += "<"
    if "+" in flags:
        spec += "+"
    elif " " in flags:
        spec += " "
    if "0" in flags and "-" not in flags:
        spec += "0"
    spec += width or ""
    if prec is not None:
        spec += "." + prec
    return spec


def _index(item: Any, *keys: Any) -> Any:
    for key in keys:
        if isinstance(item, dict):
            item = item.get(key)
        elif isinstance(item, (list, tuple, str)):
            k = _int(key)
            if not 0 <= k < len(item):
                raise ValueError(f"error calling index: index out of range: {k}")
            item = item[k] if not isinstance(item, str) else ord(item[k])
        elif item is None:
            raise ValueError("error calling index: index of untyped nil")
        else:
            raise ValueError(f"error calling index: can't index item of type {type(item).__name__}")
    return item


def _len(item: Any) -> int:
    if isinstance(item, (str, list, tuple, dict)):
        return len(item.encode() if isinstance(item, str) else item)
    raise ValueError(f"error calling len: len of type {_go_type(item)}")


def _go_type(value: Any) -> str:
    return {bool: "bool", int: "int", float: "float64", str: "string"}.get(
        type(value), "interface {}"
    )


def _compare(name: str, a: Any, b: Any) -> bool:
    if not isinstance(a, (int, float, str)) or not isinstance(b, (int, float, str)):
        raise ValueError(f"error calling {name}: invalid type for comparison")
    if isinstance(a, str) != isinstance(b, str):
        raise ValueError(f"error calling {name}: incompatible types for comparison")
    return {"lt": a < b, "le": a <= b, "gt": a > b, "ge": a >= b}[name]  # type: ignore[operator]


def _eq(a: Any, *others: Any) -> bool:
    if not others:
        raise ValueError("error calling eq: missing argument for comparison")
    for b in others:
        if isinstance(a, str) != isinstance(b, str) and a is not None and b is not None:
            raise ValueError("error calling eq: incompatible types for comparison")
        if a == b:
            return True
    return False


def _print(*args: Any) -> str:
    # fmt.Sprint puts a space between operands when neither is a string.
    out = ""
    for i, a in enumerate(args):
        if i and not isinstance(a, str) and not isinstance(args[i - 1], str):
            out += " "
        out += _inner(a)
    return out


_STRINGS, _CONV, _NET = _Strings(), _Conv(), _Net()

FUNCS: dict[str, Callable[..., Any]] = {
    # Go's built-ins (and/or are short-circuit and handled by the executor).
    "and": lambda *a: a[-1],
    "or": lambda *a: a[-1],
    "not": lambda a: not truth(a),
    "len": _len,
    "index": _index,
    "print": _print,
    "printf": _printf,
    "println": lambda *a: " ".join(_inner(x) for x in a) + "\n",
    "eq": _eq,
    "ne": lambda a, b: not _eq(a, b),
    "lt": lambda a, b: _compare("lt", a, b),
    "le": lambda a, b: _compare("le", a, b),
    "gt": lambda a, b: _compare("gt", a, b),
    "ge": lambda a, b: _compare("ge", a, b),
    "html": lambda *a: html.escape(_print(*a), quote=True).replace("&#x27;", "&#39;"),
    "js": lambda *a: json.dumps(_print(*a))[1:-1].replace("'", "\\'"),
    "urlquery": lambda *a: urllib.parse.quote_plus(_print(*a)),
    # containerlab's (utils/template.go: CreateFuncs); its slice replaces Go's.
    "ToJSON": _json,
    "ToJSONPretty": _json_pretty,
    "add": _arith(lambda a, b: a + b),
    "subtract": _arith(lambda a, b: a - b),
    "mul": _arith(lambda a, b: a * b),
    "div": _div,
    "idiv": _idiv,
    "rem": _rem,
    "seq": _seq,
    "slice": lambda *a: list(a),
    "strings": lambda: _STRINGS,
    "conv": lambda: _CONV,
    "net": lambda: _NET,
}


# ---------------------------------------------------------------- execution


class _Jump(Exception):
    def __init__(self, kind: str) -> None:
        self.kind = kind


class _Exec:
    def __init__(self, templates: dict[str, list[Node]]) -> None:
        self.templates = templates
        self.out: list[tuple[str, int]] = []  # each piece and the source line it starts on
        self.depth = 0
        self.caller = 0  # inside {{template}}: the calling line, which all output maps to

    def run(self, nodes: list[Node], dot: Any, scope: list[tuple[str, Any]]) -> None:
        mark = len(scope)
        try:
            for node in nodes:
                self.node(node, dot, scope)
        finally:
            del scope[mark:]

    def node(self, node: Node, dot: Any, scope: list[tuple[str, Any]]) -> None:
        if isinstance(node, Text):
            self.out.append((node.text, self.caller or node.line))
        elif isinstance(node, Output):
            value = self.pipe(node.pipe, dot, scope)
            if not node.pipe.decl:
                self.out.append((sprint(value), -(self.caller or node.line)))
        elif isinstance(node, Branch):
            self.branch(node, dot, scope)
        elif isinstance(node, Include):
            body = self.templates.get(node.name)
            if body is None:
                raise TemplateError(node.line, f'no such template "{node.name}"')
            value = self.pipe(node.pipe, dot, scope) if node.pipe else None
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise TemplateError(node.line, "exceeded maximum template depth")
            caller, self.caller = self.caller, self.caller or node.line
            try:
                self.run(body, value, [("$", value)])
            finally:
                self.caller = caller
            self.depth -= 1
        elif isinstance(node, Jump):
            raise _Jump(node.kind)

    def branch(self, node: Branch, dot: Any, scope: list[tuple[str, Any]]) -> None:
        mark = len(scope)
        if node.kind == "range":
            value = self.pipe(node.pipe, dot, scope, declare=False)
            items = list(self.items(value, node.line))
            for key, item in items:
                if len(node.pipe.decl) == 1:
                    scope.append((node.pipe.decl[0], item))
                elif len(node.pipe.decl) == 2:
                    scope += [(node.pipe.decl[0], key), (node.pipe.decl[1], item)]
                try:
                    self.run(node.body, item, scope)
                except _Jump as jump:
                    if jump.kind == "break":
                        del scope[mark:]
                        break
                finally:
                    del scope[mark:]
            if not items:
                self.run(node.orelse, dot, scope)
            return
        value = self.pipe(node.pipe, dot, scope)
        try:
            if truth(value):
                self.run(node.body, value if node.kind == "with" else dot, scope)
            else:
                self.run(node.orelse, dot, scope)
        finally:
            del scope[mark:]

    def items(self, value: Any, line: int) -> Iterator[tuple[Any, Any]]:
        if value is None or value is MISSING:
            return
        if isinstance(value, (bool, float)):
            raise TemplateError(line, f"range can't iterate over {sprint(value)}")
        if isinstance(value, int):
            yield from ((i, i) for i in range(value))
        elif isinstance(value, (list, tuple)):
            yield from enumerate(value)
        elif isinstance(value, dict):
            yield from ((k, value[k]) for k in sorted(value, key=_sort_key))
        else:
            raise TemplateError(line, f"range can't iterate over {sprint(value)}")

    def pipe(self, pipe: Pipe, dot: Any, scope: list[tuple[str, Any]], declare: bool = True) -> Any:
        value: Any = _NOTHING
        for cmd in pipe.cmds:
            value = self.command(cmd, dot, scope, value)
        if declare and pipe.decl:
            name = pipe.decl[0]
            if pipe.assign:
                for i in range(len(scope) - 1, -1, -1):
                    if scope[i][0] == name:
                        scope[i] = (name, value)
                        break
                else:
                    raise TemplateError(pipe.line, f"undefined variable: {name}")
            else:
                scope.append((name, value))
        return value

    def command(self, cmd: Command, dot: Any, scope: list[tuple[str, Any]], final: Any) -> Any:
        first, rest = cmd.args[0], cmd.args[1:]
        if isinstance(first, Func) and first.name in ("and", "or"):
            # Short-circuit: an operand after the deciding one is not evaluated.
            operands: list[Node | object] = [*rest] + ([final] if final is not _NOTHING else [])
            if not operands:
                raise TemplateError(
                    cmd.line, f"wrong number of args for {first.name}: want at least 1 got 0"
                )
            result: Any = None
            for operand in operands:
                result = self.arg(operand, dot, scope) if isinstance(operand, Node) else operand
                if truth(result) == (first.name == "or"):
                    return result
            return result
        if isinstance(first, Func):
            args = [self.arg(a, dot, scope) for a in rest]
            if final is not _NOTHING:
                args.append(final)
            return self.call(first.name, FUNCS[first.name], args, cmd.line)
        if isinstance(first, Chain) and isinstance(first.node, Func):
            target = self.call(first.node.name, FUNCS[first.node.name], [], cmd.line)
            for name in first.names[:-1]:
                target = self.field(target, name, cmd.line)
            args = [self.arg(a, dot, scope) for a in rest]
            if final is not _NOTHING:
                args.append(final)
            method = (
                getattr(target, first.names[-1], None) if not isinstance(target, dict) else None
            )
            if callable(method):
                return self.call(first.names[-1], method, args, cmd.line)
            if args:
                raise TemplateError(
                    cmd.line, f"can't give argument to non-function {first.names[-1]}"
                )
            return self.field(target, first.names[-1], cmd.line)
        if rest or final is not _NOTHING:
            raise TemplateError(cmd.line, f"can't give argument to non-function {_describe(first)}")
        return self.arg(first, dot, scope)

    def call(self, name: str, fn: Callable[..., Any], args: list[Any], line: int) -> Any:
        args = [None if a is MISSING else a for a in args]
        try:
            return fn(*args)
        except TemplateError:
            raise
        except (TypeError, ValueError, IndexError, ZeroDivisionError, OverflowError) as exc:
            text = str(exc)
            if isinstance(exc, TypeError) and "argument" in text:
                text = f"wrong number of args for {name}: got {len(args)}"
            elif not text.startswith("error calling"):
                text = f"error calling {name}: {text}"
            raise TemplateError(line, text) from None

    def arg(self, node: Node, dot: Any, scope: list[tuple[str, Any]]) -> Any:
        if isinstance(node, Lit):
            return node.value
        if isinstance(node, Dot):
            return dot
        if isinstance(node, Field):
            value = dot
            for name in node.names:
                value = self.field(value, name, node.line)
            return value
        if isinstance(node, Var):
            found = [value for name, value in scope if name == node.name]
            if not found:
                raise TemplateError(node.line, f'undefined variable "{node.name}"')
            value = found[-1]
            for name in node.names:
                value = self.field(value, name, node.line)
            return value
        if isinstance(node, Pipe):
            return self.pipe(node, dot, scope)
        if isinstance(node, Func):
            return self.call(node.name, FUNCS[node.name], [], node.line)
        if isinstance(node, Chain):
            value = self.arg(node.node, dot, scope)
            for name in node.names:
                value = self.field(value, name, node.line)
            return value
        raise TemplateError(node.line, f"can't evaluate {_describe(node)}")  # pragma: no cover

    @staticmethod
    def field(value: Any, name: str, line: int) -> Any:
        if isinstance(value, dict):
            return value.get(name, MISSING)
        if value is MISSING:  # Go: a missing key's fields are missing too, no error
            return MISSING
        if value is None:
            raise TemplateError(line, f"nil pointer evaluating interface {{}}.{name}")
        method = getattr(value, name, None)
        if isinstance(value, (_Strings, _Conv, _Net)) and callable(method):
            raise TemplateError(line, f"wrong number of args for {name}: got 0")
        raise TemplateError(line, f"can't evaluate field {name} in type {_go_type(value)}")


_NOTHING = object()


class _Missing:
    """A map key that is not there: printed ``<no value>``, nil to functions and tests."""

    def __repr__(self) -> str:
        return "<no value>"


MISSING = _Missing()


def _describe(node: Node) -> str:
    if isinstance(node, Lit):
        return sprint(node.value)
    if isinstance(node, Field):
        return "." + ".".join(node.names)
    if isinstance(node, Var):
        return node.name + "".join("." + n for n in node.names)
    return type(node).__name__.lower()


# ---------------------------------------------------------------- entry points


def render(text: str, data: Any = None, subtemplates: dict[str, str] | None = None) -> str:
    """Render Go template ``text`` with ``data`` as dot (and ``$``).

    ``subtemplates`` are further template texts by name, parsed first, whose ``define``
    blocks (and their own bodies, under their names) ``{{template}}`` can call.

    >>> render('{{- range $i := seq 1 3 }} r{{ $i }}{{ end }}')
    ' r1 r2 r3'
    >>> render('{{ with .x }}{{ add . 1 }}{{ else }}none{{ end }}', {"x": 41})
    '42'
    """
    return render_lines(text, data, subtemplates)[0]


def render_lines(
    text: str, data: Any = None, subtemplates: dict[str, str] | None = None
) -> tuple[str, list[int]]:
    r""":func:`render`, and for each line of the output the template line that wrote its
    start (a line a ``range`` writes many times maps to the line in its body).

    >>> render_lines("a\n{{- range seq 2 }}\n  x{{ . }}{{ end }}\nb")
    ('a\n  x1\n  x2\nb', [1, 3, 3, 4])
    """
    templates: dict[str, list[Node]] = {}
    for name, sub in sorted((subtemplates or {}).items()):
        try:
            templates[name] = _Parser(_lex(sub), templates).parse()
        except TemplateError as exc:
            exc.name = name
            raise
    nodes = _Parser(_lex(text), templates).parse()
    runner = _Exec(templates)
    try:
        runner.run(nodes, data, [("$", data)])
    except _Jump as jump:
        raise TemplateError(0, f"{{{{{jump.kind}}}}} outside {{{{range}}}}") from None
    except RecursionError:
        raise TemplateError(0, "exceeded maximum template depth") from None
    lines: list[int] = []
    at_start, source = True, 1
    for piece, start in runner.out:
        # Text advances its source line at each new line; an action's output does not.
        source = abs(start)
        for c in piece:
            if at_start:
                lines.append(source)
                at_start = False
            if c == "\n":
                source += start > 0
                at_start = True
    if at_start:
        lines.append(source)
    return "".join(p for p, _ in runner.out), lines


def template_vars(path: Path, given: Sequence[Path] = ()) -> Any:
    """The variables containerlab gives the template at ``path``: the files ``given``
    (``--vars``) in their order, else the files ``<name without extension>_vars.*`` beside
    it (.yaml, .yml, .json) in name order, merged (maps key by key, anything else the later
    file replaces); None if there are none."""
    files = list(given) or sorted(
        p
        for p in path.parent.glob(f"{glob.escape(path.stem)}{VARS_SUFFIX}.*")
        if p.suffix in VARS_EXTENSIONS and p.is_file()
    )
    merged: Any = None
    for file in files:
        try:
            loaded = yaml.safe_load(file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise TemplateError(0, "variables file not found (--vars)", name=str(file)) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise TemplateError(0, f"cannot read the variables: {exc}", name=str(file)) from None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = mark.line + 1 if mark is not None else 0
            raise TemplateError(line, f"not valid YAML: {exc}", name=str(file)) from None
        if loaded is not None and not isinstance(loaded, dict):
            raise TemplateError(1, "template variables must be a mapping", name=str(file))
        merged = _merge(merged if merged is not None else {}, loaded or {})
    return merged


def _merge(dst: Any, src: Any) -> Any:
    if not isinstance(dst, dict) or not isinstance(src, dict):
        return src
    for key, value in src.items():
        dst[key] = _merge(dst[key], value) if key in dst else value
    return dst


def render_topology(
    path: Path, text: str, vars_files: Sequence[Path] = ()
) -> tuple[str, list[int] | None]:
    """The topology text containerlab parses: ``text`` (the file at ``path``) rendered as
    a Go template with its variables files (``vars_files``, else those found by name) and
    ``clab_templates/*.gotmpl``, and for each rendered line the template line that wrote
    it; ``(text, None)`` when it has no action."""
    if "{{" not in text:
        return text, None
    data = template_vars(path, vars_files)
    subdir = path.parent / SUBTEMPLATES
    subtemplates: dict[str, str] = {}
    if subdir.is_dir():
        for sub in sorted(subdir.glob("*.gotmpl")):
            subtemplates[sub.name] = sub.read_text(encoding="utf-8")
    try:
        return render_lines(text, data, subtemplates)
    except TemplateError as exc:
        if exc.name and not exc.name.startswith("/"):
            exc.name = str(subdir / exc.name)
        raise
