"""The browser pages 8x8 serves (agent login, guest link): small, self-contained HTML.

No external assets, and a Content-Security-Policy that allows none; every value
echoed from a request or the store is HTML-escaped here, so callers pass text.
"""

from __future__ import annotations

from html import escape
from http import HTTPStatus

from starlette.responses import HTMLResponse

CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"

_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:40em;margin:3em auto;padding:0 1em;"
    "color:#1b1b1b}h1{font-size:1.4em}dt{font-weight:bold}dd{margin:0 0 .6em 0}"
    "code{word-break:break-all}"
)


def page(title: str, lines: list[str], facts: dict[str, str], *, status: int = 200) -> HTMLResponse:
    """A page with a heading, paragraphs and a list of facts, all given as plain text."""
    paragraphs = "".join(f"<p>{escape(line)}</p>" for line in lines)
    items = "".join(
        f"<dt>{escape(name)}</dt><dd><code>{escape(value)}</code></dd>"
        for name, value in facts.items()
    )
    facts_html = f"<dl>{items}</dl>" if items else ""
    html = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body><h1>{escape(title)}</h1>{paragraphs}{facts_html}"
        "<p><small>8x8 Video Interaction, as emulated by token-emulator.</small></p>"
        "</body></html>"
    )
    return HTMLResponse(html, status_code=status, headers={"content-security-policy": CSP})


def refusal_page(status: int, message: str) -> HTMLResponse:
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    return page(f"{status} {phrase}", [message], {}, status=status)
