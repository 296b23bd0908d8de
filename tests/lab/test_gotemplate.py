# ruff: noqa: E501  (the table rows are template, data and Go's output, kept one to a line)
"""containerlab renders topology files as Go templates: netsim's renderer against Go's own.

The oracle is Go's ``text/template`` with containerlab's template functions
(``utils/template.go`` at the commit of ``netsim/lab/clab/upstream/``): every expected
output below was printed by a Go 1.19 program that parses the template with those functions
and executes it on the data (JSON here; integral numbers made ints, as YAML decodes them),
and every template in ``REFUSED`` is one Go refuses, at parse or execution. Equality is
exact: the rendered text is what containerlab then parses as YAML.
"""

from __future__ import annotations

import shutil
from typing import TYPE_CHECKING

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netsim.cli.main import main
from netsim.errors import EXIT_INPUT, EXIT_OK, InputError
from netsim.lab.clab.gotemplate import TemplateError, render, render_lines, render_topology
from netsim.lab.clab.read import load_clab
from tests.lab.conftest import ROOT

if TYPE_CHECKING:
    from pathlib import Path

DATA = ROOT / "tests" / "lab" / "data"

RENDERED = [
    ("{{- range $i := seq 1 3 }} r{{ $i }}{{ end }}", None, " r1 r2 r3"),
    ('a {{- " b " -}} c', None, "a b c"),
    ("x{{/* comment */}}y {{- /* c2 */ -}} z", None, "xyz"),
    ("{{ .a.b }} {{ .missing }} {{ $.a.b }}", {"a": {"b": 3}}, "3 <no value> 3"),
    ("{{ if .t }}T{{ else if .u }}U{{ else }}E{{ end }}", {"t": 0, "u": "x"}, "U"),
    ("{{ if .t }}T{{ else if .u }}U{{ else }}E{{ end }}", {"t": 0, "u": ""}, "E"),
    (
        "{{ range $k, $v := . }}{{ $k }}={{ $v }};{{ end }}",
        {"b": 2, "a": 1, "c": [1, 2]},
        "a=1;b=2;c=[1 2];",
    ),
    ("{{ range . }}[{{ . }}]{{ else }}empty{{ end }}", [], "empty"),
    ("{{ range $i, $e := .l }}{{ $i }}:{{ $e }} {{ end }}", {"l": ["x", "y"]}, "0:x 1:y "),
    (
        "{{ with .a }}{{ .b }}{{ end }}|{{ with .z }}no{{ else }}else{{ end }}",
        {"a": {"b": "B"}},
        "B|else",
    ),
    ("{{ $x := 1 }}{{ if true }}{{ $x = 2 }}{{ end }}{{ $x }}", None, "2"),
    (
        "{{ add 1 2 }} {{ subtract 5 7 }} {{ mul 3 4 }} {{ div 7 2 }} {{ idiv 7 2 }} {{ rem 7 3 }} {{ idiv -7 2 }} {{ rem -7 3 }}",
        None,
        "3 -2 12 3.5 3 1 -3 -1",
    ),
    ('{{ add 1.5 2 }} {{ mul "3" 4 }} {{ add "1,000" 1 }}', None, "3.5 12 1001"),
    (
        "{{ seq 5 }} {{ seq 2 6 }} {{ seq 8 4 2 }} {{ seq 1 10 3 }} {{ seq 4 8 -2 }} {{ seq 3 3 }}",
        None,
        "[1 2 3 4 5] [2 3 4 5 6] [8 6 4] [1 4 7 10] [4 6 8] [3]",
    ),
    (
        '{{ slice 1 "a" 2.5 }} {{ len (slice 1 2 3) }} {{ index (slice 1 2 3) 1 }}',
        None,
        "[1 a 2.5] 3 2",
    ),
    (
        '{{ printf "%02d-%s-%v-%x-%5.2f|%-4d|%q" 7 "s" true 255 3.14159 3 "q" }}',
        None,
        '07-s-true-ff- 3.14|3   |"q"',
    ),
    ('{{ print 1 2 "a" 3 "b" "c" }}|{{ println 1 "x" }}', None, "1 2a3bc|1 x\n"),
    (
        '{{ eq 1 1 }} {{ eq "a" "b" "a" }} {{ ne 1 2 }} {{ lt 1 2 }} {{ ge "b" "a" }}',
        None,
        "true true true true true",
    ),
    (
        '{{ and 1 0 2 }} {{ or 0 "" "x" }} {{ not 0 }} {{ and 1 2 }} {{ or 0 false }}',
        None,
        "0 x true 2 false",
    ),
    (
        '{{ strings.Split "," "a,b,c" }} {{ strings.ReplaceAll "-" "_" "a-b-c" }} {{ conv.Join (slice 1 2 3) "," }} {{ conv.ToInt "42" }}',
        None,
        "[a b c] a_b_c 1,2,3 42",
    ),
    (
        '{{ net.CIDRHost 5 "10.0.0.0/24" }} {{ net.CIDRHost -1 "10.0.0.0/24" }} {{ net.CIDRHost 1 "2001:db8::/64" }}',
        None,
        "10.0.0.5 10.0.0.255 2001:db8::1",
    ),
    ("{{ ToJSON . }}", {"b": [1, 2], "a": "x"}, '{"a":"x","b":[1,2]}'),
    (
        "{{ .f }} {{ .h }} {{ .i }}",
        {"f": 1.5, "h": 1e-05, "i": 1234567.5},
        "1.5 1e-05 1.2345675e+06",
    ),
    ("{{ . }}", {"m": {"x": 1}, "l": [1, "a"], "n": None}, "map[l:[1 a] m:map[x:1] n:<nil>]"),
    (
        '{{ define "T" }}<{{ . }}>{{ end }}{{ template "T" 5 }}{{ template "T" "s" }}',
        None,
        "<5><s>",
    ),
    ('{{ block "B" .x }}[{{ . }}]{{ end }}', {"x": 9}, "[9]"),
    (
        "{{ range seq 1 5 }}{{ if eq . 3 }}{{ continue }}{{ end }}{{ if eq . 5 }}{{ break }}{{ end }}{{ . }}{{ end }}",
        None,
        "124",
    ),
    ("{{ $a := .x | add 1 }}{{ $a }} {{ 3 | add 4 | mul 2 }}", {"x": 1}, "2 14"),
    ('{{ (seq 1 3) }} {{ len "héllo" }} {{ index . "k" }}', {"k": "v"}, "[1 2 3] 6 v"),
    (
        '{{ html "<a&b>" }} {{ urlquery "a b&c" }} {{ js "it\'s" }}',
        None,
        "&lt;a&amp;b&gt; a+b%26c it\\'s",
    ),
    ("{{ $.a }}{{ range .l }}{{ $.a }}{{ . }}{{ end }}", {"a": "A", "l": [1, 2]}, "AA1A2"),
    ("line1\n{{- if true }}\n  x\n{{- end }}\nline3", None, "line1\n  x\nline3"),
    (
        "{{ 0x10 }} {{ 1e3 }} {{ -5 }} {{ 'a' }} {{ `raw\\n` }} {{ \"esc\\t\" }}",
        None,
        "16 1000 -5 97 raw\\n esc\t",
    ),
    ("{{ .a.b.c }}", {"a": {}}, "<no value>"),
    ('{{ range $i, $e := slice "a" "b" }}{{ $i }}{{ $e }}{{ end }}', None, "0a1b"),
    ("{{ with $x := .a }}{{ $x }}{{ end }}", {"a": 4}, "4"),
    ("{{ len .l }} {{ len . }}", {"l": [1, 2, 3]}, "3 1"),
    (
        "{{- $n := 3 -}}\n{{ range $i := seq 1 $n }}\n  node{{ $i }}:\n    kind: linux\n{{- end }}",
        None,
        "\n  node1:\n    kind: linux\n  node2:\n    kind: linux\n  node3:\n    kind: linux",
    ),
    ("{{ eq .a 1 }}", {"a": 1}, "true"),
    (
        '{{ printf "%d%%" 5 }} {{ printf "%v %v" 1 }} {{ printf "%s" }}',
        None,
        "5% 1 %!v(MISSING) %!s(MISSING)",
    ),
]

REFUSED = [
    ("{{ nosuch 1 }}", None, 'template: t.tmpl:1: function "nosuch" not defined'),
    ("{{ if }}x{{ end }}", None, "template: t.tmpl:1: missing value for if"),
    ("{{ range . }}", [1], "template: t.tmpl:1: unexpected EOF"),
    ("{{ end }}", None, "template: t.tmpl:1: unexpected {{end}}"),
    ("{{ $u }}", None, 'template: t.tmpl:1: undefined variable "$u"'),
    (
        '{{ add "x" 1 }}',
        None,
        'template: t.tmpl:1:3: executing "t.tmpl" at <add "x" 1>: error calling add: expected a number: could not convert "x" to int64: strconv.ParseFloat: parsing "x": invalid syntax',
    ),
    (
        "{{ .a 1 }}",
        {"a": 1},
        'template: t.tmpl:1:3: executing "t.tmpl" at <.a>: a is not a method but has arguments',
    ),
    (
        "{{ div 1 0 }}",
        None,
        'template: t.tmpl:1:3: executing "t.tmpl" at <div 1 0>: error calling div: error: division by 0',
    ),
    (
        "{{ index (slice 1) 5 }}",
        None,
        'template: t.tmpl:1:3: executing "t.tmpl" at <index (slice 1) 5>: error calling index: index out of range: 5',
    ),
    (
        "{{ seq }}",
        None,
        'template: t.tmpl:1:3: executing "t.tmpl" at <seq>: error calling seq: expected 1, 2, or 3 arguments, got 0',
    ),
    (
        '{{ template "none" }}',
        None,
        'template: t.tmpl:1:12: executing "t.tmpl" at <{{template "none"}}>: template "none" not defined',
    ),
    ("{{ 1 | 2 }}", None, "template: t.tmpl:1: non executable command in pipeline stage 2"),
    ('{{ "unterminated }}', None, "template: t.tmpl:1: unterminated quoted string"),
    ("{{ (1 }}", None, "template: t.tmpl:1: unclosed left paren"),
    (
        '{{ lt 1 "a" }}',
        None,
        'template: t.tmpl:1:3: executing "t.tmpl" at <lt 1 "a">: error calling lt: incompatible types for comparison',
    ),
    (
        "{{ not }}",
        None,
        'template: t.tmpl:1:3: executing "t.tmpl" at <not>: wrong number of args for not: want 1 got 0',
    ),
    (
        "{{ idiv 7 0 }}",
        None,
        'template: t.tmpl:1:3: executing "t.tmpl" at <idiv 7 0>: error calling idiv: error: division by 0',
    ),
]


@pytest.mark.parametrize(("template", "data", "expected"), RENDERED)
def test_renders_as_go_does(template: str, data: object, expected: str) -> None:
    assert render(template, data) == expected


@pytest.mark.parametrize(("template", "data", "go_error"), REFUSED)
def test_refuses_what_go_refuses(template: str, data: object, go_error: str) -> None:
    with pytest.raises(TemplateError) as caught:
        render(template, data)
    assert caught.value.line == 1, go_error
    assert caught.value.message


def test_the_ring_renders_with_its_variables_and_sub_templates() -> None:
    """ring.clab.gotmpl: nodes and links from ring.clab_vars.yaml, interface settings from
    clab_templates/ospf.gotmpl. Go rendered the same text (the comparison was made once
    with the oracle program; its counts are asserted here)."""
    path = DATA / "ring.clab.gotmpl"
    text, lines = render_topology(path, path.read_text())
    topology = load_clab(path)
    assert sorted(topology.nodes) == ["PC1", "PC2", "PC3", "PC4", "r1", "r2", "r3", "r4"]
    assert len(topology.links) == 8
    assert '-c "interface eth2" -c "ip ospf network point-to-point"' in text
    assert 'sh -c "ip route add $$GATEWAY_NET via 192.168.3.1"' in text
    # Each rendered line maps to the template line that wrote it: r3's exec to line 24.
    rendered = text.splitlines()
    at = rendered.index("    r3:")
    assert lines is not None
    assert (lines[at], lines[at + 3]) == (21, 24)


def test_a_file_without_actions_is_read_as_it_is() -> None:
    path = DATA / "tiny.clab.yml"
    assert render_topology(path, path.read_text()) == (path.read_text(), None)


def test_errors_name_the_template_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A problem in the rendered YAML is reported at the template line that wrote it, and a
    template Go would refuse is reported with its line; exit status 2 either way."""
    shutil.copytree(DATA / "clab_templates", tmp_path / "clab_templates")
    shutil.copytree(DATA / "ospf3", tmp_path / "ospf3")
    text = (DATA / "ring.clab.gotmpl").read_text()
    (tmp_path / "ring.clab_vars.yaml").write_text((DATA / "ring.clab_vars.yaml").read_text())
    bad = tmp_path / "ring.clab.gotmpl"
    bad.write_text(text.replace("group: routers", "group: routers\n      kind: arista_ceos"))
    with pytest.raises(InputError) as caught:
        load_clab(bad)
    (error,) = caught.value.errors
    assert (error.line, error.key) == (23, "topology.nodes.r1.kind"), error
    assert "kinds netsim cannot run (arista_ceos: r1, r2, r3, r4)" in error.message

    bad.write_text(text.replace("seq 1 .routers", "seq 1 .router_count"))
    assert main(["validate", str(bad)]) == EXIT_INPUT
    err = capsys.readouterr().err
    assert f"{bad}:20: template: error calling seq: could not convert" in err, err
    assert "Traceback" not in err

    (tmp_path / "ring.clab_vars.yaml").write_text("name: [unclosed\n")
    assert main(["validate", str(bad)]) == EXIT_INPUT
    err = capsys.readouterr().err
    assert "ring.clab_vars.yaml:" in err, err
    assert "not valid YAML" in err, err


def test_variables_files_merge_in_name_order(tmp_path: Path) -> None:
    """containerlab merges <file>_vars.* in name order: maps key by key, other values replaced."""
    (tmp_path / "lab.clab_vars.yaml").write_text("a: {x: 1, y: 2}\nb: [1]\n")
    (tmp_path / "lab.clab_vars.z.yml").write_text("a: {y: 3}\nb: [2]\n")
    (tmp_path / "lab.clab_vars.txt").write_text("a: {x: 9}\n")  # not a variables file
    path = tmp_path / "lab.clab.gotmpl"
    assert render_topology(path, "{{ .a.x }} {{ .a.y }} {{ .b }}")[0] == "1 3 [2]"


def test_validate_reads_a_template_as_a_containerlab_file(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["validate", str(DATA / "ring.clab.gotmpl")]) == EXIT_OK
    assert "valid containerlab file" in capsys.readouterr().out


def test_render_lines_follow_the_loop_body() -> None:
    assert render_lines("a\n{{- range seq 2 }}\n  x{{ . }}{{ end }}\nb") == (
        "a\n  x1\n  x2\nb",
        [1, 3, 3, 4],
    )


PIECES = [
    *("{{", "}}", "{{- ", " -}}", "/*", "*/", " ", "\n", "x", ",", "|", "(", ")"),
    *("range", "if", "else", "end", "with", "define", "template", "block", "break"),
    *("$x", ":=", "=", "$", ".", ".a", ".b.c", '"s"', "`r`", "'c'", "1", "-2", "3.5", "0x1f"),
    *("seq", "add", "len", "index", "printf", '"%d"', "eq", "and", "not", "slice", "nil"),
    *("strings.Split", "conv.Join", "net.CIDRHost", '"10.0.0.0/8"', "true", "continue"),
]


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.sampled_from(PIECES), max_size=20),
    st.sampled_from([None, {"a": [1, 2], "b": {"c": "x"}}, [1, "a"], 3]),
)
def test_any_text_is_rendered_or_refused_with_its_line(pieces: list[str], data: object) -> None:
    """Bad input is exit 2 with a line, never a traceback: whatever the pieces make, the
    renderer returns text or raises TemplateError (a fuzz of 50,000 such texts found none
    else)."""
    problem: TemplateError | None = None
    try:
        render(" ".join(pieces), data)
    except TemplateError as exc:
        problem = exc
    assert problem is None or (problem.line >= 0 and problem.message)


def test_vars_files_given_replace_those_found_by_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--vars`` (as ``clab deploy --vars``): the files given, merged in their order,
    instead of ``<file>_vars.yaml``; one that does not exist is named, exit 2."""
    three = tmp_path / "three.yaml"
    three.write_text("name: ring3\nprefix: r\nrouters: 3\nhosts: {net: 192.168.0.0/16}\n")
    override = tmp_path / "wan.json"
    override.write_text('{"prefix": "wan"}')
    topology = load_clab(DATA / "ring.clab.gotmpl", vars_files=[three, override])
    assert topology.name == "ring3"
    assert sorted(topology.nodes) == ["PC1", "PC2", "PC3", "wan1", "wan2", "wan3"]
    assert topology.vars_files == (three, override)

    ring = str(DATA / "ring.clab.gotmpl")
    assert main(["validate", ring, "--vars", str(three)]) == EXIT_OK
    assert main(["validate", ring, "--vars", str(tmp_path / "none.yaml")]) == EXIT_INPUT
    err = capsys.readouterr().err
    assert f"{tmp_path / 'none.yaml'}: variables file not found (--vars)" in err, err


def test_containerlabs_own_templated_example_renders_as_go_renders_it() -> None:
    """containerlab's templated02 (super-spines, pods, arithmetic in endpoint names, a
    comment, an assigned variable): the text Go printed for it, byte for byte."""
    folder = DATA / "templated02"
    path = folder / "templated02.clab.gotmpl"
    text, _ = render_topology(path, path.read_text())
    assert text == (folder / "rendered-by-go.yml").read_text()
