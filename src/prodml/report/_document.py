"""A tiny document model rendered to both Markdown and HTML, so the card is written once.

Blocks are headings, paragraphs, bullet lists and tables. Inline text supports two marks only:
``**strong**`` and ```code```; everything else is escaped for HTML (and for Markdown tables,
where a ``|`` would break the row).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

__all__ = [
    "Block",
    "Bullets",
    "Heading",
    "Paragraph",
    "Table",
    "inline_html",
    "to_html",
    "to_markdown",
]


@dataclass(frozen=True)
class Heading:
    text: str
    level: int = 2
    anchor: str = ""


@dataclass(frozen=True)
class Paragraph:
    text: str


@dataclass(frozen=True)
class Bullets:
    items: Sequence[str]


@dataclass(frozen=True)
class Table:
    header: Sequence[str]
    rows: Sequence[Sequence[str]]
    numeric: Sequence[int] = ()  # column positions to right-align


Block = Heading | Paragraph | Bullets | Table

_STRONG = re.compile(r"\*\*(.+?)\*\*")
_CODE = re.compile(r"`([^`]+)`")


def inline_html(text: str) -> str:
    """Escape, then turn ``**x**`` into <strong> and ```x``` into <code> (they may nest)."""
    codes: list[str] = []

    def stash(match: re.Match[str]) -> str:
        codes.append(f"<code>{escape(match.group(1))}</code>")
        return f"\x00{len(codes) - 1}\x00"

    html = _STRONG.sub(r"<strong>\1</strong>", escape(_CODE.sub(stash, text)))
    return re.sub("\x00([0-9]+)\x00", lambda m: codes[int(m.group(1))], html)


def to_markdown(blocks: Sequence[Block]) -> str:
    lines: list[str] = []
    for block in blocks:
        if isinstance(block, Heading):
            lines += ["#" * block.level + " " + block.text, ""]
        elif isinstance(block, Paragraph):
            lines += [block.text, ""]
        elif isinstance(block, Bullets):
            lines += [f"- {item}" for item in block.items] + [""]
        else:
            lines.append("| " + " | ".join(_cell(h) for h in block.header) + " |")
            lines.append(
                "|"
                + "|".join(
                    "---:" if i in block.numeric else "---" for i in range(len(block.header))
                )
                + "|"
            )
            lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in block.rows]
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def to_html(blocks: Sequence[Block]) -> str:
    out: list[str] = []
    for block in blocks:
        if isinstance(block, Heading):
            anchor = f' id="{escape(block.anchor)}"' if block.anchor else ""
            out.append(f"<h{block.level}{anchor}>{inline_html(block.text)}</h{block.level}>")
        elif isinstance(block, Paragraph):
            out.append(f"<p>{inline_html(block.text)}</p>")
        elif isinstance(block, Bullets):
            items = "".join(f"<li>{inline_html(item)}</li>" for item in block.items)
            out.append(f"<ul>{items}</ul>")
        else:
            head = (
                ""
                if not any(block.header)
                else "".join(
                    f'<th class="num">{inline_html(h)}</th>'
                    if i in block.numeric
                    else f"<th>{inline_html(h)}</th>"
                    for i, h in enumerate(block.header)
                )
            )
            body = "".join(
                "<tr>"
                + "".join(
                    f'<td class="num">{inline_html(c)}</td>'
                    if i in block.numeric
                    else f"<td>{inline_html(c)}</td>"
                    for i, c in enumerate(row)
                )
                + "</tr>"
                for row in block.rows
            )
            thead = f"<thead><tr>{head}</tr></thead>" if head else ""
            out.append(f'<div class="table"><table>{thead}<tbody>{body}</tbody></table></div>')
    return "\n".join(out)


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")
