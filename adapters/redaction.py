"""URLs fit for a log line or an error message: whatever may be a password hidden."""

import re

# A user and password before an `@`; up to the last `@`, so that a password holding an
# unescaped `@` is hidden whole (at worst the host goes too).
_PASSWORD = re.compile(r"^(?P<user>[^:/?#]+://[^:/?#@]*:).*@")


def redacted(url: str) -> str:
    """`url` with its password, if it holds one, replaced by ***."""
    return _PASSWORD.sub(r"\g<user>***@", url, count=1)
