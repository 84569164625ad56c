import re

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from promptlab.domain.errors import ValidationError
from promptlab.domain.messages import Message, MessageRole
from promptlab.domain.templates import (
    Placeholder,
    TemplateSyntaxError,
    TemplateSyntaxErrorKind,
    VariablesError,
    escape_literal,
    parse_messages,
    parse_template,
    render,
    render_messages,
)

# Text that stresses the parser: braces, backslashes and blanks are common, and
# any code point, NUL and lone surrogates included, can appear.
tricky_text = st.text(
    alphabet=st.one_of(
        st.sampled_from(["{", "}", "\\", " ", "\t", "\n", "a", "_", "1", ".", "|"]),
        st.characters(exclude_categories=()),
    )
)
names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,8}", fullmatch=True)
blanks = st.text(alphabet=" \t", max_size=3)


@st.composite
def template_pieces(draw: st.DrawFn) -> list[str | tuple[str, str, str]]:
    """Draw literal texts and placeholders as (name, blanks before, blanks after)."""
    literal = tricky_text
    placeholder = st.tuples(names, blanks, blanks)
    return draw(st.lists(st.one_of(literal, placeholder), max_size=8))


def build_source(pieces: list[str | tuple[str, str, str]]) -> str:
    """Write template source whose literal pieces render exactly as drawn."""
    # Escaping is not closed under concatenation ("{" and "{" make "{{"), so
    # adjacent literals are escaped as one.
    merged: list[str | tuple[str, str, str]] = []
    for piece in pieces:
        if isinstance(piece, str) and merged and isinstance(merged[-1], str):
            merged[-1] += piece
        else:
            merged.append(piece)

    source: list[str] = []
    for index, piece in enumerate(merged):
        if isinstance(piece, tuple):
            name, before, after = piece
            source.append("{{" + before + name + after + "}}")
            continue

        escaped = escape_literal(piece)
        next_is_placeholder = index + 1 < len(merged) and isinstance(merged[index + 1], tuple)
        if next_is_placeholder:
            # Backslashes right before `{{` are halved by the parser, so double them.
            trailing = len(escaped) - len(escaped.rstrip("\\"))
            escaped += "\\" * trailing
        source.append(escaped)
    return "".join(source)


def expected_output(pieces: list[str | tuple[str, str, str]], values: dict[str, str]) -> str:
    return "".join(values[piece[0]] if isinstance(piece, tuple) else piece for piece in pieces)


def piece_names(pieces: list[str | tuple[str, str, str]]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(piece[0] for piece in pieces if isinstance(piece, tuple)))


def reference_render(text: str) -> str | None:
    """Render `text` with each name as `<name>`, or return None on a syntax error.

    A slow, character by character reading of the syntax rules, written apart
    from the parser so that the two can be compared.
    """
    placeholder = re.compile(r"\{\{[ \t]*([A-Za-z_][A-Za-z0-9_]*)[ \t]*\}\}")
    output: list[str] = []
    i = 0
    while i < len(text):
        if text[i] == "\\":
            j = i
            while j < len(text) and text[j] == "\\":
                j += 1
            count = j - i
            if not text.startswith("{{", j):
                output.append(text[i:j])
                i = j
            elif count % 2 == 1:
                output.append("\\" * (count // 2) + "{{")
                i = j + 2
            else:
                output.append("\\" * (count // 2))
                i = j
        elif text.startswith("{{", i):
            j = i
            while j < len(text) and text[j] == "{":
                j += 1
            output.append("{" * (j - i - 2))
            match = placeholder.match(text, j - 2)
            if match is None:
                return None
            output.append(f"<{match.group(1)}>")
            i = match.end()
        else:
            output.append(text[i])
            i += 1
    return "".join(output)


def parse_error(text: str) -> TemplateSyntaxError:
    with pytest.raises(TemplateSyntaxError) as caught:
        parse_template(text, field="messages.2.content")
    return caught.value


# Properties


@given(pieces=template_pieces(), data=st.data())
def test_render_substitutes_every_placeholder(pieces, data):
    variables = piece_names(pieces)
    values = {name: data.draw(tricky_text, label=name) for name in variables}

    template = parse_template(build_source(pieces))

    assert template.variables == variables
    assert render(template, values) == expected_output(pieces, values)


@given(
    pieces=st.lists(
        st.one_of(
            st.text(alphabet=st.characters(exclude_characters="{")),
            st.tuples(names, blanks, blanks),
        ),
        max_size=8,
    ),
    data=st.data(),
)
def test_render_output_has_no_placeholders(pieces, data):
    # Without `{` in literals or values, any placeholder in the output would
    # have to come from a placeholder left unreplaced.
    value_text = st.text(alphabet=st.characters(exclude_characters="{"))
    values = {name: data.draw(value_text, label=name) for name in piece_names(pieces)}

    output = render(parse_template(build_source(pieces)), values)

    assert "{{" not in output
    assert parse_template(output).variables == ()


@given(prefix=tricky_text, value=tricky_text, suffix=tricky_text)
@example(prefix="", value="{{x}}", suffix="")
@example(prefix="a \\", value="\\{{ x }} {{ y", suffix=" b")
def test_render_never_expands_values(prefix, value, suffix):
    template = parse_template(build_source([prefix, ("v", " ", " "), suffix]))

    assert render(template, {"v": value}) == prefix + value + suffix


@given(pieces=template_pieces())
def test_render_with_identity_values(pieces):
    # Property: giving each name the value "{{name}}" returns the source with
    # escapes resolved and the blanks inside each placeholder removed.
    identity = {name: "{{" + name + "}}" for name in piece_names(pieces)}
    template = parse_template(build_source(pieces))

    assert render(template, identity) == expected_output(pieces, identity)


@given(text=tricky_text)
@example(text="{{" * 1000)
@example(text="{" * 1000 + "a}}")
@example(text="\\" * 1000 + "{{a}}")
@example(text="\x00{{\ud800}}")
def test_parse_arbitrary_text(text):
    try:
        template = parse_template(text)
    except TemplateSyntaxError as error:
        assert len(error.issues) == 1
        assert text[error.offset : error.offset + 2] == "{{"
        return

    values = {name: "" for name in template.variables}
    assert isinstance(render(template, values), str)


@given(text=tricky_text)
@example(text="\\\\{{{{ a }} \\{{{ b }}} \\")
def test_parse_matches_reference(text):
    expected = reference_render(text)

    try:
        template = parse_template(text)
    except TemplateSyntaxError:
        assert expected is None
        return

    values = {name: f"<{name}>" for name in template.variables}
    assert render(template, values) == expected


@given(text=tricky_text)
@example(text="\\{{")
@example(text="{{{{{")
@example(text="\\\\\\{{ a }}")
def test_escape_literal_round_trip(text):
    template = parse_template(escape_literal(text))

    assert template.variables == ()
    assert render(template, {}) == text


# Syntax


def test_whitespace_inside_braces():
    for source in ["{{name}}", "{{ name }}", "{{\tname\t}}", "{{  \t name \t  }}"]:
        template = parse_template(source)
        assert template.variables == ("name",), source
        assert render(template, {"name": "Ada"}) == "Ada", source


def test_adjacent_placeholders():
    template = parse_template("{{a}}{{b}}{{a}}")

    assert template.variables == ("a", "b")
    assert render(template, {"a": "1", "b": "2"}) == "121"


def test_variables_in_first_appearance_order():
    template = parse_template("{{ zeta }} {{ alpha }} {{ zeta }} {{ mid }}")

    assert template.variables == ("zeta", "alpha", "mid")


def test_unicode_around_placeholders():
    source = "שלום {{ name }}! 👩‍👩‍👧 e\u0301{{ x }}\u0301 中文{{y}}"
    template = parse_template(source)

    assert template.variables == ("name", "x", "y")
    assert (
        render(template, {"name": "Ada", "x": "é", "y": "文"})
        == "שלום Ada! 👩‍👩‍👧 e\u0301é\u0301 中文文"
    )


def test_placeholder_offsets_count_code_points():
    template = parse_template("😀 {{ a }}")

    assert template.parts == ("😀 ", Placeholder(name="a", offset=2))


def test_single_braces_and_closing_pairs_are_literal():
    source = '{"a": {"b": [1, {}]}} } }} {x} { {{ name }}'
    template = parse_template(source)

    assert template.variables == ("name",)
    assert render(template, {"name": "N"}) == '{"a": {"b": [1, {}]}} } }} {x} { N'


def test_extra_braces_before_placeholder_are_literal():
    assert render(parse_template("{{{a}}}"), {"a": "1"}) == "{1}"
    assert render(parse_template("{{{{a}}}}"), {"a": "1"}) == "{{1}}"


def test_backslash_escapes_braces():
    assert render(parse_template(r"\{{ name }}"), {}) == "{{ name }}"
    assert render(parse_template(r"\{{{a}}"), {}) == "{{{a}}"
    assert render(parse_template(r"\{{{{a}}"), {"a": "1"}) == "{{1"


def test_backslash_pairs_before_placeholder():
    assert render(parse_template(r"\\{{ name }}"), {"name": "N"}) == "\\N"
    assert render(parse_template(r"\\\{{ name }}"), {}) == "\\{{ name }}"
    assert render(parse_template(r"\\\\{{ name }}"), {"name": "N"}) == "\\\\N"


def test_backslashes_elsewhere_are_literal():
    source = r"C:\Users\{name} \n \\ \} \{ "
    template = parse_template(source)

    assert template.variables == ()
    assert render(template, {}) == source


def test_escape_literal_examples():
    assert escape_literal("{{ name }}") == r"\{{ name }}"
    assert escape_literal(r"\{{") == r"\\\{{"
    assert escape_literal("{{{{") == r"\{{\{{"
    assert escape_literal(r"C:\{x}") == r"C:\{x}"


# Syntax errors


@pytest.mark.parametrize(
    ("source", "kind", "offset", "snippet"),
    [
        ("Hello {{ name", TemplateSyntaxErrorKind.UNCLOSED_PLACEHOLDER, 6, "{{ name"),
        ("{{ name }", TemplateSyntaxErrorKind.UNCLOSED_PLACEHOLDER, 0, "{{ name }"),
        ("a {{", TemplateSyntaxErrorKind.UNCLOSED_PLACEHOLDER, 2, "{{"),
        ("{{}}", TemplateSyntaxErrorKind.EMPTY_PLACEHOLDER, 0, "{{}}"),
        ("x {{ \t }}", TemplateSyntaxErrorKind.EMPTY_PLACEHOLDER, 2, "{{ \t }}"),
        ("{{ 1st }}", TemplateSyntaxErrorKind.INVALID_NAME, 0, "{{ 1st }}"),
        ('{{"a": 1}}', TemplateSyntaxErrorKind.INVALID_NAME, 0, '{{"a": 1}}'),
        ("{{ café }}", TemplateSyntaxErrorKind.INVALID_NAME, 0, "{{ café }}"),
        ("{{ a b }}", TemplateSyntaxErrorKind.INVALID_PLACEHOLDER, 0, "{{ a b }}"),
        ("{{ a\n}}", TemplateSyntaxErrorKind.INVALID_PLACEHOLDER, 0, "{{ a"),
        ("{{ a } b }}", TemplateSyntaxErrorKind.INVALID_PLACEHOLDER, 0, "{{ a } b }}"),
        ("{{ user.name }}", TemplateSyntaxErrorKind.UNSUPPORTED_SYNTAX, 0, "{{ user.name }}"),
        ("{{ x|upper }}", TemplateSyntaxErrorKind.UNSUPPORTED_SYNTAX, 0, "{{ x|upper }}"),
        ("{{ f() }}", TemplateSyntaxErrorKind.UNSUPPORTED_SYNTAX, 0, "{{ f() }}"),
        ("{{ items[0] }}", TemplateSyntaxErrorKind.UNSUPPORTED_SYNTAX, 0, "{{ items[0] }}"),
        ("{{ a + b }}", TemplateSyntaxErrorKind.UNSUPPORTED_SYNTAX, 0, "{{ a + b }}"),
        ("{{{ x.y }}", TemplateSyntaxErrorKind.UNSUPPORTED_SYNTAX, 1, "{{ x.y }}"),
    ],
)
def test_syntax_error_kinds(source, kind, offset, snippet):
    error = parse_error(source)

    assert len(error.issues) == 1
    issue = error.issues[0]
    assert issue.kind == kind
    assert issue.offset == offset
    assert error.offset == offset
    assert issue.text == snippet
    assert issue.field == "messages.2.content"
    assert repr(snippet) in issue.message
    assert f"at offset {offset} " in issue.message
    assert r"'\{{'" in issue.message


def test_syntax_error_message_for_http():
    error = parse_error("Hello, {{ name")

    assert isinstance(error, ValidationError)
    assert len(error.errors) == 1
    assert error.errors[0].field == "messages.2.content"
    assert error.errors[0].message == (
        "unclosed placeholder at offset 7 (line 1, column 8): '{{ name' has no closing '}}'. "
        "To write '{{' as text, put a backslash before it: '\\{{'."
    )


def test_syntax_error_line_and_column():
    issue = parse_error("first line\nsecond {{ user.name }}").issues[0]

    assert issue.offset == 18
    assert issue.line == 2
    assert issue.column == 8


def test_syntax_error_reports_first_issue():
    error = parse_error("{{ ok }} {{ a.b }} {{ }}")

    assert len(error.issues) == 1
    assert error.offset == 9


def test_syntax_error_snippet_is_shortened():
    issue = parse_error("{{ " + "a" * 100 + " b }}").issues[0]

    assert issue.text == "{{ " + "a" * 37
    assert "'{{ " + "a" * 37 + "'..." in issue.message
    assert "a" * 41 not in issue.message


def test_syntax_error_escapes_control_characters():
    issue = parse_error("{{ a\x00 }}").issues[0]

    assert "\x00" not in issue.message
    assert "\\x00" in issue.message


def test_escaped_pair_then_bad_placeholder():
    error = parse_error(r"\{{{{ a.b }}")

    assert error.offset == 3


# Rendering errors


def test_missing_variables_lists_every_name():
    template = parse_template("{{ c }} {{ a }} {{ b }} {{ a }}")

    with pytest.raises(VariablesError) as caught:
        render(template, {"a": "1"})

    assert caught.value.missing == ("c", "b")
    assert caught.value.unknown == ()
    assert [(e.field, e.message) for e in caught.value.errors] == [
        ("variables", "missing values for: c, b"),
    ]


def test_unknown_variables_rejected():
    template = parse_template("{{ name }}")

    with pytest.raises(VariablesError) as caught:
        render(template, {"name": "x", "zeta": "1", "alpha": "2"})

    assert caught.value.missing == ()
    assert caught.value.unknown == ("alpha", "zeta")
    assert caught.value.errors[0].field == "variables"
    assert caught.value.errors[0].message.startswith("unknown variables: alpha, zeta.")


def test_misspelt_variable_reports_both_sides():
    template = parse_template("Hi {{ name }}")

    with pytest.raises(VariablesError) as caught:
        render(template, {"nmae": "Ada"})

    assert caught.value.missing == ("name",)
    assert caught.value.unknown == ("nmae",)
    assert len(caught.value.errors) == 2


def test_unknown_variable_names_are_quoted():
    template = parse_template("no placeholders")

    with pytest.raises(VariablesError) as caught:
        render(template, {"a b": "1", "x" * 100: "2"})

    message = caught.value.errors[0].message
    assert "'a b'" in message
    assert "'" + "x" * 40 + "'..." in message
    assert "x" * 41 not in message


def test_non_string_value_rejected():
    template = parse_template("{{ n }} {{ s }} {{ none }}")

    with pytest.raises(VariablesError) as caught:
        render(template, {"n": 3, "s": "ok", "none": None}, field="body.variables")

    assert caught.value.not_strings == {"n": "int", "none": "NoneType"}
    assert [(e.field, e.message) for e in caught.value.errors] == [
        ("body.variables.n", "must be a string, got int"),
        ("body.variables.none", "must be a string, got NoneType"),
    ]


def test_values_must_be_a_mapping():
    with pytest.raises(TypeError, match="mapping"):
        render(parse_template("{{ a }}"), [("a", "1")])


def test_template_without_placeholders_renders_source():
    template = parse_template("plain {text}")

    assert render(template, {}) == "plain {text}"


# Messages


def test_parse_messages_collects_variables():
    template = parse_messages(
        [
            Message(role=MessageRole.SYSTEM, content="You help {{ team }}."),
            Message(role=MessageRole.USER, content="{{ question }} for {{ team }}"),
            Message(role=MessageRole.ASSISTANT, content="no placeholders"),
        ]
    )

    assert template.variables == ("team", "question")


def test_render_messages_keeps_roles():
    template = parse_messages(
        [
            Message(role=MessageRole.SYSTEM, content="You help {{ team }}."),
            Message(role=MessageRole.USER, content="{{ question }}"),
        ]
    )

    rendered = render_messages(template, {"team": "ops", "question": "Why {{x}}?"})

    assert rendered == (
        Message(role=MessageRole.SYSTEM, content="You help ops."),
        Message(role=MessageRole.USER, content="Why {{x}}?"),
    )


def test_render_messages_requires_every_variable():
    template = parse_messages(
        [
            Message(role=MessageRole.SYSTEM, content="{{ a }}"),
            Message(role=MessageRole.USER, content="{{ b }} {{ c }}"),
        ]
    )

    with pytest.raises(VariablesError) as caught:
        render_messages(template, {"b": "1", "typo": "2"})

    assert caught.value.missing == ("a", "c")
    assert caught.value.unknown == ("typo",)


def test_parse_messages_reports_each_bad_message():
    with pytest.raises(TemplateSyntaxError) as caught:
        parse_messages(
            [
                Message(role=MessageRole.SYSTEM, content="fine {{ a }}"),
                Message(role=MessageRole.USER, content="{{ x.y }}"),
                Message(role=MessageRole.USER, content="ok"),
                Message(role=MessageRole.USER, content="0123456789abcdef {{ b"),
            ]
        )

    fields = [error.field for error in caught.value.errors]
    assert fields == ["messages.1.content", "messages.3.content"]
    assert caught.value.errors[1].message.startswith("unclosed placeholder at offset 17 ")
    assert [issue.offset for issue in caught.value.issues] == [0, 17]


def test_parse_messages_field_prefix():
    with pytest.raises(TemplateSyntaxError) as caught:
        parse_messages([Message(role=MessageRole.USER, content="{{}}")], field="prompt.messages")

    assert caught.value.errors[0].field == "prompt.messages.0.content"


# Size


# Speed is measured by the benchmark, not here: these tests check that huge and
# pathological inputs are handled correctly, without recursion limits or crashes.


def test_large_document_round_trip():
    # About 1 MB with 10,000 placeholders over 500 names.
    chunk = "Lorem ipsum { dolor } sit amet, \\ consectetur adipiscing elit. "
    source = "".join(f"{chunk}{{{{ name_{i % 500} }}}}{chunk}" for i in range(10_000))
    assert len(source) > 1_000_000

    template = parse_template(source)
    values = {f"name_{i}": f"value {i}" for i in range(500)}
    output = render(template, values)

    assert len(template.variables) == 500
    assert "value 499" in output


@pytest.mark.parametrize(
    "source",
    [
        "{{" * 500_000,
        "{" * 1_000_000,
        "{" * 1_000_000 + " a }}",
        "\\" * 1_000_000 + "{{ a",
        "\\{{" * 300_000 + "{{ a.b",
        "{{ " + " " * 1_000_000,
        "{{ a" + "}" * 1_000_000,
        "{{ " + "a" * 1_000_000 + ".",
        "{{a}}" * 200_000,
    ],
    ids=[
        "open pairs",
        "brace run",
        "brace run then name",
        "backslash run",
        "escaped pairs",
        "blanks",
        "closing braces",
        "long name",
        "placeholders only",
    ],
)
def test_pathological_input_parses_or_raises(source):
    try:
        template = parse_template(source)
    except TemplateSyntaxError as error:
        assert error.offset is not None
    else:
        assert template.source == source


def test_escape_literal_of_large_text():
    text = "{" * 1_000_000

    escaped = escape_literal(text)

    assert render(parse_template(escaped), {}) == text
