r"""Prompt templates: text with `{{ name }}` placeholders and nothing else.

A placeholder contains one variable name, so rendering only substitutes the
values given. There are no expressions, attribute access, filters or calls, and
a substituted value is never parsed again.

Syntax, applied left to right:

- `{{ name }}` is a placeholder. The name is an ASCII identifier, and spaces or
  tabs may surround it inside the braces.
- In a run of more than two `{`, the last two open the placeholder and the
  others are literal, so `{{{name}}}` renders a brace, the value, a brace.
- A `{{` that does not open a valid placeholder is a syntax error.
- A backslash before `{{` makes those two braces literal: `\{{` renders `{{`.
  Before `{{`, each pair of backslashes renders one backslash, so
  `\\{{ name }}` renders a backslash and then the value.
- Every other character is literal, including single braces, `}}` and
  backslashes that do not precede `{{`.

Offsets in errors are 0-based and count Unicode code points.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping, Sequence

import attrs

from promptlab.domain.errors import FieldError, ValidationError
from promptlab.domain.messages import Message, MessageRole

# No pattern nests or chains ambiguous repetitions, so matching at a fixed
# position takes time linear in the length of the match.
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_BLANKS = re.compile(r"[ \t]*")
_BRACE_RUN = re.compile(r"\{+")

_SNIPPET_LENGTH = 40
_ESCAPE_HINT = "To write '{{' as text, put a backslash before it: '\\{{'."

# Characters that, right after a name, show which unsupported syntax was meant.
_UNSUPPORTED_SYNTAX = {
    ".": "attribute access",
    "[": "indexing",
    "|": "a filter",
    "(": "a function call",
    **dict.fromkeys("+-*/%<>=!~&^,:", "an expression"),
}


class TemplateSyntaxErrorKind(enum.StrEnum):
    UNCLOSED_PLACEHOLDER = "unclosed_placeholder"
    EMPTY_PLACEHOLDER = "empty_placeholder"
    INVALID_NAME = "invalid_name"
    INVALID_PLACEHOLDER = "invalid_placeholder"
    UNSUPPORTED_SYNTAX = "unsupported_syntax"


@attrs.frozen
class TemplateSyntaxIssue:
    """The first syntax error in one template, with its location in the source."""

    field: str
    kind: TemplateSyntaxErrorKind
    offset: int
    """0-based index of the opening `{{`, in code points."""
    line: int
    r"""1-based line number. Lines end at `\n`."""
    column: int
    """1-based column of the opening `{{`, in code points."""
    text: str
    """The offending source from the opening `{{`, cut at a line break or 40 characters."""
    message: str
    """The full explanation without the field, such as `unclosed placeholder at offset 17 ...`."""


class TemplateSyntaxError(ValidationError):
    """Syntax errors in one or more templates.

    Carries the first error of each bad template, so a prompt with several bad
    messages reports all of them. Each entry of `errors` is the `FieldError`
    of the issue at the same index of `issues`.
    """

    def __init__(self, issues: Sequence[TemplateSyntaxIssue]) -> None:
        self.issues = tuple(issues)
        super().__init__([FieldError(issue.field, issue.message) for issue in self.issues])

    @property
    def offset(self) -> int:
        """Offset of the first issue. `parse_template` raises with exactly one issue."""
        return self.issues[0].offset


class VariablesError(ValidationError):
    """Mismatch between the values given for rendering and the template's variables.

    One error reports every problem at once, because a misspelt name shows up as
    both a missing and an unknown variable and the caller needs to see both.
    """

    def __init__(
        self,
        *,
        missing: Sequence[str] = (),
        unknown: Sequence[str] = (),
        not_strings: Mapping[str, str] | None = None,
        field: str = "variables",
    ) -> None:
        self.missing = tuple(missing)
        """Names of placeholders without a value, in order of first appearance."""
        self.unknown = tuple(unknown)
        """Given names that match no placeholder, sorted."""
        self.not_strings = dict(not_strings or {})
        """Name of each placeholder whose value is not a str, mapped to the value's type name."""

        errors: list[FieldError] = []
        if self.missing:
            errors.append(FieldError(field, f"missing values for: {', '.join(self.missing)}"))
        if self.unknown:
            names = ", ".join(_display_name(name) for name in self.unknown)
            errors.append(
                FieldError(
                    field,
                    f"unknown variables: {names}. "
                    "Every name must match a placeholder in the template.",
                )
            )
        for name, type_name in self.not_strings.items():
            errors.append(FieldError(f"{field}.{name}", f"must be a string, got {type_name}"))
        super().__init__(errors)


@attrs.frozen
class Placeholder:
    name: str
    offset: int
    """0-based index in the source of the two braces that open the placeholder."""


@attrs.frozen
class Template:
    """A parsed template. Build it with `parse_template`."""

    source: str = attrs.field(repr=False)
    parts: tuple[str | Placeholder, ...]
    """Literal text, with escapes resolved, and placeholders, in source order."""
    variables: tuple[str, ...]
    """Placeholder names without repeats, in order of first appearance."""


@attrs.frozen
class MessageTemplate:
    role: MessageRole
    template: Template


@attrs.frozen
class PromptTemplate:
    """The parsed messages of a prompt. Build it with `parse_messages`."""

    messages: tuple[MessageTemplate, ...]
    variables: tuple[str, ...]
    """Placeholder names of all messages without repeats, in order of first appearance."""


def parse_template(text: str, *, field: str = "template") -> Template:
    """Parse `text` into literal parts and placeholders.

    Raises TemplateSyntaxError with one issue, the first invalid `{{`, whose
    `field` is `field`. Time and memory are linear in the length of `text`.
    """
    parts: list[str | Placeholder] = []
    literal: list[str] = []
    cursor = 0

    while (start := text.find("{{", cursor)) != -1:
        segment = text[cursor:start]
        backslashes = len(segment) - len(segment.rstrip("\\"))
        literal.append(segment[: len(segment) - backslashes])
        literal.append("\\" * (backslashes // 2))

        if backslashes % 2 == 1:
            # Only this pair is escaped. Braces right after it are scanned
            # again, so `\{{{{a}}` is a literal `{{` followed by a placeholder.
            literal.append("{{")
            cursor = start + 2
            continue

        opening = _match_end(_BRACE_RUN, text, start) - 2
        literal.append(text[start:opening])
        name, end = _read_placeholder(text, opening, field)

        parts.append("".join(literal))
        literal.clear()
        parts.append(Placeholder(name, opening))
        cursor = end

    literal.append(text[cursor:])
    parts.append("".join(literal))

    non_empty = tuple(part for part in parts if part != "")
    variables = tuple(
        dict.fromkeys(part.name for part in non_empty if isinstance(part, Placeholder))
    )
    return Template(source=text, parts=non_empty, variables=variables)


def render(template: Template, values: Mapping[str, str], *, field: str = "variables") -> str:
    """Substitute `values` into `template` and return the text.

    Every placeholder needs a value, every value must be a str, and every name
    in `values` must match a placeholder. Otherwise raises VariablesError, whose
    field errors start with `field`. Values are inserted as they are, never
    parsed as template text.

    Values are not checked for NUL or surrogate code points. Callers that store
    the output check the values with `promptlab.domain.text.find_text_errors`.
    """
    _check_values(template.variables, values, field)
    return "".join(part if isinstance(part, str) else values[part.name] for part in template.parts)


def parse_messages(messages: Sequence[Message], *, field: str = "messages") -> PromptTemplate:
    """Parse the content of every message.

    Raises TemplateSyntaxError with the first issue of each bad message. The
    field of the issue for message 2 is `messages.2.content` when `field` is
    `messages`.
    """
    parsed: list[MessageTemplate] = []
    issues: list[TemplateSyntaxIssue] = []

    for index, message in enumerate(messages):
        try:
            template = parse_template(message.content, field=f"{field}.{index}.content")
        except TemplateSyntaxError as error:
            issues.extend(error.issues)
            continue
        parsed.append(MessageTemplate(role=message.role, template=template))

    if issues:
        raise TemplateSyntaxError(issues)

    variables = tuple(dict.fromkeys(name for item in parsed for name in item.template.variables))
    return PromptTemplate(messages=tuple(parsed), variables=variables)


def render_messages(
    template: PromptTemplate, values: Mapping[str, str], *, field: str = "variables"
) -> tuple[Message, ...]:
    """Render every message with the same `values`.

    The values must match the variables of all messages together, so a name
    used by only one message is still required. Raises VariablesError otherwise.
    """
    _check_values(template.variables, values, field)
    return tuple(
        Message(role=item.role, content=render(item.template, _only(values, item.template)))
        for item in template.messages
    )


def escape_literal(text: str) -> str:
    """Return template source that renders exactly `text` and has no placeholders.

    Each `{{` gets a backslash, and the backslashes right before it are doubled.
    Other characters are copied as they are.
    """
    pieces: list[str] = []
    cursor = 0

    while (start := text.find("{{", cursor)) != -1:
        segment = text[cursor:start]
        backslashes = len(segment) - len(segment.rstrip("\\"))
        pieces.append(segment)
        pieces.append("\\" * (backslashes + 1))
        pieces.append("{{")
        cursor = start + 2

    pieces.append(text[cursor:])
    return "".join(pieces)


def _read_placeholder(text: str, opening: int, field: str) -> tuple[str, int]:
    """Return the name of the placeholder at `opening` and the index after its `}}`."""
    name_start = _match_end(_BLANKS, text, opening + 2)
    name = _NAME.match(text, name_start)
    if name is not None:
        closing = _match_end(_BLANKS, text, name.end())
        if text.startswith("}}", closing):
            return name.group(), closing + 2

    raise TemplateSyntaxError([_describe_issue(text, opening, field)])


def _describe_issue(text: str, opening: int, field: str) -> TemplateSyntaxIssue:
    """Explain why the `{{` at `opening` does not open a valid placeholder."""
    name_start = _match_end(_BLANKS, text, opening + 2)
    name = _NAME.match(text, name_start)
    after_name = name_start if name is None else _match_end(_BLANKS, text, name.end())
    next_char = text[after_name : after_name + 1]
    closing = text.find("}}", opening + 2)

    if closing == -1:
        kind = TemplateSyntaxErrorKind.UNCLOSED_PLACEHOLDER
        headline, reason = "unclosed placeholder", "has no closing '}}'"
    elif closing == name_start:
        kind = TemplateSyntaxErrorKind.EMPTY_PLACEHOLDER
        headline, reason = "empty placeholder", "contains no variable name"
    elif name is None and text[name_start].isdigit():
        kind = TemplateSyntaxErrorKind.INVALID_NAME
        headline, reason = "invalid placeholder name", "starts with a digit"
    elif name is None:
        kind = TemplateSyntaxErrorKind.INVALID_NAME
        headline = "invalid placeholder name"
        reason = "does not start with an ASCII letter or an underscore"
    elif next_char in _UNSUPPORTED_SYNTAX:
        kind = TemplateSyntaxErrorKind.UNSUPPORTED_SYNTAX
        headline = "unsupported placeholder"
        reason = (
            f"uses {_UNSUPPORTED_SYNTAX[next_char]}, "
            "but a placeholder contains only a variable name"
        )
    elif after_name == name.end() and not next_char.isascii() and next_char.isalnum():
        kind = TemplateSyntaxErrorKind.INVALID_NAME
        headline = "invalid placeholder name"
        reason = "contains a character other than ASCII letters, digits and underscores"
    else:
        kind = TemplateSyntaxErrorKind.INVALID_PLACEHOLDER
        headline = "invalid placeholder"
        reason = f"is not closed by '}}}}' right after the name {_quote(name.group())}"

    end = len(text) if closing == -1 else closing + 2
    snippet = text[opening : min(end, opening + _SNIPPET_LENGTH)]
    snippet = snippet.split("\n", 1)[0].split("\r", 1)[0]
    quoted_snippet = repr(snippet) + ("..." if opening + len(snippet) < end else "")

    line = text.count("\n", 0, opening) + 1
    column = opening - (text.rfind("\n", 0, opening) + 1) + 1
    message = (
        f"{headline} at offset {opening} (line {line}, column {column}): "
        f"{quoted_snippet} {reason}. {_ESCAPE_HINT}"
    )
    return TemplateSyntaxIssue(
        field=field,
        kind=kind,
        offset=opening,
        line=line,
        column=column,
        text=snippet,
        message=message,
    )


def _match_end(pattern: re.Pattern[str], text: str, position: int) -> int:
    """Return where a match of `pattern` at `position` ends, or `position` if none."""
    match = pattern.match(text, position)
    return position if match is None else match.end()


def _check_values(variables: Sequence[str], values: Mapping[str, str], field: str) -> None:
    """Raise VariablesError unless `values` gives one str for each variable and nothing else."""
    if not isinstance(values, Mapping):
        raise TypeError(
            f"values must be a mapping of names to strings, got {type(values).__name__}"
        )

    expected = set(variables)
    missing = [name for name in variables if name not in values]
    unknown = sorted(str(name) for name in values if name not in expected)
    not_strings = {
        name: type(values[name]).__name__
        for name in variables
        if name in values and not isinstance(values[name], str)
    }
    if missing or unknown or not_strings:
        raise VariablesError(missing=missing, unknown=unknown, not_strings=not_strings, field=field)


def _only(values: Mapping[str, str], template: Template) -> dict[str, str]:
    return {name: values[name] for name in template.variables}


def _display_name(name: str) -> str:
    """Return a short valid variable name as is, and any other name quoted and shortened."""
    if len(name) <= _SNIPPET_LENGTH and _NAME.fullmatch(name):
        return name
    return _quote(name)


def _quote(text: str) -> str:
    """Return `text` quoted with control characters escaped, cut after 40 characters."""
    if len(text) > _SNIPPET_LENGTH:
        return repr(text[:_SNIPPET_LENGTH]) + "..."
    return repr(text)
