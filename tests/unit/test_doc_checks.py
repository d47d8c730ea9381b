"""The checks tests/e2e/test_docs.py runs the pages' examples with, on pages and outputs
made up here: a page that says one thing and prints another must fail."""

from pathlib import Path

import pytest

from tests.e2e.doc_examples import examples_of
from tests.e2e.doc_outputs import Ids, Mismatch, check
from tests.e2e.doc_shell import Shell

PAGE = """# A page

```sh
# Prose, not output.
OPENED=$(grpcurl -d '{"a":
  "b"}' host/Method)
echo "$OPENED"
# { "accountId": "d3270a84-…", "version": "1" }

# More prose.
true
```

<!-- not run: it needs a machine of its own -->
```sh
make run
```

```console
$ echo hi
hi
```

```python
print(42)
# 42
```
"""

OPENED = '{\n  "accountId": "704d4d29-d094-4f1f-8509-139de13ae1f1",\n  "version": "1"\n}\n'
REFUSED = """ERROR:
  Code: NotFound
  Message: Incorrect account ID provided!
  Details:
  1)\t{
    \t  "@type": "type.googleapis.com/google.rpc.ErrorInfo",
    \t  "reason": "ACCOUNT_NOT_FOUND"
    \t}
"""


def test_a_page_is_its_commands_each_with_the_output_below_it(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(PAGE)
    steps = [(step.language, step.command, step.expected) for step in examples_of(page)]
    assert steps == [
        ("sh", 'OPENED=$(grpcurl -d \'{"a":\n  "b"}\' host/Method)', ""),
        ("sh", 'echo "$OPENED"', '{ "accountId": "d3270a84-…", "version": "1" }'),
        ("sh", "true", ""),
        ("console", "echo hi", "hi"),
        ("python", "print(42)\n# 42\n", "42"),
    ]


@pytest.mark.parametrize(
    "shown",
    [
        '{ "accountId": "d3270a84-…", "version": "2" }',  # another value
        '{ "accountId": "d3270a84-…" }',  # a key the page does not show
        '{ "accountId": "d3270a84-…", "version": "1", "holder": "Ada" }',  # one it lacks
        '{ "accountId": "d3270a84-…", … } { "accountId": "…", … }',  # another message
        '{ "accountId": "not an id", … }',
        "opened 704d4d29",
    ],
)
def test_an_output_other_than_the_page_shows_fails(shown: str) -> None:
    with pytest.raises(Mismatch):
        check(shown, 0, OPENED, Ids())


def test_an_example_id_stands_for_one_id_wherever_the_page_shows_it() -> None:
    ids = Ids()
    check('{ "accountId": "d3270a84-1f61-42e9-a795-e8f1c5f0b7de", "version": "1" }', 0, OPENED, ids)
    check('{ "accountId": "d3270a84-…", … }', 0, OPENED, ids)
    with pytest.raises(Mismatch):
        check('{ "accountId": "0012f4c8-…", … }', 0, OPENED, ids)
    with pytest.raises(Mismatch):
        check('{ "accountId": "d3270a84-…", … }', 0, OPENED.replace("704d", "804d"), ids)


def test_a_refusal_is_its_code_message_and_details() -> None:
    shown = """ERROR:
  Code: NotFound
  Message: Incorrect account ID provided!
  Details:
  1) { "@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "ACCOUNT_NOT_FOUND" }"""
    check(shown, 69, REFUSED, Ids())
    for wrong in (shown.replace("NotFound", "Aborted"), shown.replace("NOT_FOUND", "CLOSED")):
        with pytest.raises(Mismatch):
            check(wrong, 69, REFUSED, Ids())
    with pytest.raises(Mismatch):
        check(shown, 0, OPENED, Ids())
    with pytest.raises(Mismatch):
        check('{ "accountId": "…", … }', 69, REFUSED, Ids())


def test_the_shell_keeps_what_a_step_set_and_refuses_a_variable_never_set(tmp_path: Path) -> None:
    with Shell({"PATH": "/usr/bin:/bin"}, tmp_path) as shell:
        assert shell.run("A=1", 10) == (0, "")
        assert shell.run('echo "$A"', 10) == (0, "1\n")
        assert shell.run("false | cat", 10)[0] != 0
        with pytest.raises(AssertionError, match="B: unbound variable"):
            shell.run('echo "$B"', 10)
