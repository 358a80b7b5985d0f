"""What in a page could run or navigate: the check the safe-output tests share."""

from __future__ import annotations

from bs4 import BeautifulSoup

from mipr_analysis.report.safe_html import safe_url


def live_problems(html: str) -> list[str]:
    """Everything in `html` that could run or navigate: script/style/iframe/object elements,
    event handlers, javascript:/data: links, SVG other than the trend lines' shapes."""
    soup = BeautifulSoup(html, "html.parser")
    found = [f"<{t.name}>" for t in soup.find_all(["script", "iframe", "object", "embed", "form"])]
    for tag in soup.find_all(True):
        for name, value in tag.attrs.items():
            text = " ".join(value) if isinstance(value, list) else str(value)
            if name.lower().startswith("on"):
                found.append(f"<{tag.name} {name}>")
            if (
                name in ("href", "src", "xlink:href")
                and safe_url(text, image=tag.name == "img") is None
            ):
                found.append(f"<{tag.name} {name}={text[:40]!r}>")
    return found
