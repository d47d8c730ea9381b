"""The examples of a Markdown page, as a reader pastes them, and the output it shows.

A fenced block of `sh`, `bash` or `console` is run, unless the line above its fence is
a comment `<!-- not run: why -->`; a `python` block is run when its last lines are
comments (the output it prints). In `sh` and `bash` blocks each command (with its
continuation lines) is a step, and the comment lines right below it, before a blank
line or the next command, are its output as the page shows it: `# …` comments after a
blank line are the page's prose. In `console` blocks a step is a `$ ` line and the lines
up to the next one are its output.
"""

import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
NOT_RUN = "<!-- not run"
REST = "…"  # what a page leaves out


@dataclass(frozen=True)
class Step:
    """A command of a page, and the output the page shows for it ("" for none)."""

    where: str
    language: str
    command: str
    expected: str


def examples_of(page: Path) -> list[Step]:
    """Every step of `page`'s runnable blocks, in the page's order."""
    text = page.read_text()
    steps: list[Step] = []
    for block in FENCE.finditer(text):
        language, body = block.group(1), block.group(2)
        before = text[: block.start()].rstrip().rsplit("\n", 1)[-1]
        if before.startswith(NOT_RUN):
            continue
        where = f"{page.name}:{text.count(chr(10), 0, block.start()) + 2}"
        if language in {"sh", "bash"}:
            steps += shell_steps(body, where)
        elif language == "console":
            steps += console_steps(body, where)
        elif language == "python" and (output := trailing_comments(body)):
            steps.append(Step(where, "python", body, output))
    return steps


def shell_steps(body: str, where: str) -> list[Step]:
    found: list[tuple[str, list[str]]] = []  # each command, and the output lines below it
    command: list[str] = []
    listening = False  # whether a comment line now is the last command's output
    for line in body.splitlines():
        if not command and line.lstrip().startswith("#"):
            if listening:
                found[-1][1].append(re.sub(r"^\s*# ?", "", line))
            continue
        if not command and not line.strip():
            listening = False
            continue
        command.append(line)
        if complete("\n".join(command)):
            found.append(("\n".join(command), []))
            command, listening = [], True
    assert not command, f"{where}: a command that never ends: {command}"
    return [Step(where, "sh", run, "\n".join(shown)) for run, shown in found]


def console_steps(body: str, where: str) -> list[Step]:
    steps: list[Step] = []
    for part in re.split(r"^\$ ", body, flags=re.MULTILINE)[1:]:
        command, _, shown = part.partition("\n")
        steps.append(Step(where, "console", command, shown.rstrip("\n")))
    return steps


def trailing_comments(body: str) -> str:
    lines = body.rstrip("\n").splitlines()
    shown: list[str] = []
    while lines and lines[-1].startswith("#"):
        shown.insert(0, re.sub(r"^# ?", "", lines.pop()))
    return "\n".join(shown)


def complete(command: str) -> bool:
    """Whether bash would run `command` as it stands (no open quote, no trailing `\\`)."""
    if command.rstrip().endswith("\\"):
        return False
    checked = subprocess.run(
        ["bash", "-n"], input=command, capture_output=True, text=True, check=False
    )
    return checked.returncode == 0


def shown_values(text: str) -> list[Any]:
    """The JSON objects a page shows in `text`, prose around them left out, each bare
    `…` read as "and the rest": a `"…": "…"` member, or a `"…"` element."""
    return [json.loads(marked(obj)) for obj in objects_in(text)]


def objects_in(text: str) -> list[str]:
    """Each top-level `{ … }` of `text`, prose around them left out."""
    found, depth, start, in_string = [], 0, 0, False
    for at, char in enumerate(text):
        if in_string:
            in_string = char != '"' or text[at - 1] == "\\"
        elif char == '"' and depth:
            in_string = True
        elif char in "{[":
            start, depth = (at if depth == 0 else start), depth + 1
        elif char in "}]" and depth:
            depth -= 1
            if depth == 0:
                found.append(text[start : at + 1])
    return found


def marked(obj: str) -> str:
    """`obj` as JSON: a bare `…` becomes a `"…": "…"` member, or a `"…"` element."""
    out, stack, in_string = [], [], False
    for at, char in enumerate(obj):
        if in_string:
            in_string = char != '"' or obj[at - 1] == "\\"
        elif char == '"':
            in_string = True
        elif char in "{[":
            stack.append(char)
        elif char in "}]":
            stack.pop()
        elif char == REST:
            out.append(f'"{REST}": "{REST}"' if stack[-1] == "{" else f'"{REST}"')
            continue
        out.append(char)
    return "".join(out)
