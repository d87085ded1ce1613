"""The documentation's relative links lead somewhere.

Every relative link and image of README.md, docs/*.md and the addon's
stock_sync_api/readme/*.md must name a file or folder of the repository, and
an #anchor into a markdown file must be one of that file's headings, with the
anchors GitHub gives them ("## What the API's quantity means" is
#what-the-apis-quantity-means). Links to other sites are not followed, and
nothing in code blocks or code spans is taken for a link.

Standard library and pytest only: `make test` runs it from this folder,
before the Odoo tests (python3 -m pytest -q -p no:cacheprovider).
"""

import re
import unicodedata
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOC_GLOBS = ("README.md", "docs/*.md", "stock_sync_api/readme/*.md")

FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
CODE_SPAN = re.compile(r"(`+)(?!`)(.+?)(?<!`)\1(?!`)", re.S)
INLINE_LINK = re.compile(
    r"\[(?:[^\[\]\\]|\\.|\[[^\[\]]*\])*\]"  # [text], one level of brackets inside
    r"\(\s*(<[^<>\n]*>|[^\s()<>]*(?:\([^\s()]*\)[^\s()<>]*)*)"  # (destination
    r"(?:\s+(?:\"[^\"]*\"|'[^']*'|\([^()]*\)))?\s*\)"  # optional "title")
)
REFERENCE_DEFINITION = re.compile(r"^ {0,3}\[[^\]\n]+\]:[ \t]*(<[^<>\n]*>|\S+)", re.M)
HTML_LINK = re.compile(r"<(?:a|img)\b[^>]*?\b(?:href|src)\s*=\s*\"([^\"]*)\"", re.I)
HTML_ANCHOR = re.compile(r"<[a-z][^>]*?\b(?:id|name)\s*=\s*\"([^\"]+)\"", re.I)
ATX_HEADING = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
SETEXT_UNDERLINE = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")


def doc_files():
    files = set()
    for pattern in DOC_GLOBS:
        files.update(ROOT.glob(pattern))
    return sorted(files)


def blank(text):
    """`text` with every character but line breaks turned into a space."""
    return re.sub(r"[^\n]", " ", text)


def mask_code(text):
    """The text with fenced code blocks and code spans blanked out.

    Every masked character becomes a space (line breaks stay), so that
    offsets, and so line numbers, stay those of the file.
    """
    lines = text.split("\n")
    out = []
    fence = None
    for line in lines:
        match = FENCE.match(line)
        if fence is None and match:
            fence = match.group(1)
            out.append(blank(line))
        elif fence is not None:
            closing = match and match.group(1)[0] == fence[0] and len(match.group(1)) >= len(fence)
            if closing and not line.strip()[len(match.group(1)) :].strip():
                fence = None
            out.append(blank(line))
        else:
            out.append(line)
    text = "\n".join(out)
    # Code spans never cross a blank line: mask them paragraph by paragraph.
    pieces = re.split(r"(\n[ \t]*\n)", text)
    return "".join(CODE_SPAN.sub(lambda m: blank(m.group(0)), piece) for piece in pieces)


def heading_text(raw):
    """What GitHub shows of a heading's markdown: no markup, no tags."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", raw)  # links and images: their text
    text = re.sub(r"<[^>]+>", "", text)  # HTML tags
    text = text.replace("`", "").replace("*", "")
    text = re.sub(r"(?<![\w])_+|_+(?![\w])", "", text)  # _emphasis_, not snake_case
    text = re.sub(r"\\(.)", r"\1", text)  # backslash escapes
    return text.strip()


def slug(text):
    """GitHub's anchor for a heading's text (as github-slugger makes it)."""
    kept = []
    for char in text.lower():
        category = unicodedata.category(char)
        if char in " -" or category[0] in "LMN" or category == "Pc":
            kept.append(char)
    return "".join(kept).replace(" ", "-")


def anchors(path):
    """Every anchor a link may point to in the markdown file `path`."""
    text = path.read_text(encoding="utf-8")
    result = set(HTML_ANCHOR.findall(mask_code(text)))
    seen = {}
    for raw in heading_lines(text):
        base = slug(heading_text(raw))
        count = seen.get(base, 0)
        seen[base] = count + 1
        result.add(base if count == 0 else f"{base}-{count}")
    return result


def heading_lines(text):
    """The raw text of each heading, read from the file with code masked."""
    masked = mask_code(text).split("\n")
    original = text.split("\n")
    found = []
    for i, line in enumerate(masked):
        match = ATX_HEADING.match(line)
        if match:
            start, end = match.span(2) if match.group(2) is not None else (0, 0)
            found.append(original[i][start:end])
            continue
        previous = masked[i - 1].strip() if i else ""
        if (
            SETEXT_UNDERLINE.match(line)
            and previous
            and not previous.startswith(("|", "#", "-", "*", "+", ">"))
            and not re.match(r"\d+[.)]\s", previous)
        ):
            found.append(original[i - 1].strip())
    return found


def links(text):
    """(line number, destination) of every link and image in markdown `text`."""
    masked = mask_code(text)
    found = []
    for pattern in (INLINE_LINK, REFERENCE_DEFINITION, HTML_LINK):
        for match in pattern.finditer(masked):
            destination = match.group(1).strip()
            if destination.startswith("<") and destination.endswith(">"):
                destination = destination[1:-1]
            line = masked.count("\n", 0, match.start(1)) + 1
            found.append((line, destination))
    return sorted(found)


def problems(path, root=ROOT):
    """What is wrong with the relative links of the markdown file `path`."""
    path = Path(path)
    root = Path(root).resolve()
    cache = {}
    wrong = []
    for line, destination in links(path.read_text(encoding="utf-8")):
        parts = urlsplit(destination)
        if parts.scheme or destination.startswith("//"):
            continue  # another site, or mailto: and the like
        where = f"{path.relative_to(root) if path.is_relative_to(root) else path}:{line}: ({destination})"
        if not parts.path:
            target = path.resolve()
        elif parts.path.startswith("/"):
            target = (root / unquote(parts.path).lstrip("/")).resolve()
        else:
            target = (path.parent / unquote(parts.path)).resolve()
        if not target.is_relative_to(root):
            wrong.append(f"{where} leads out of the repository")
            continue
        if not target.exists():
            wrong.append(f"{where} names {target.relative_to(root)}, which does not exist")
            continue
        if not parts.fragment:
            continue
        if target.is_dir():
            target = target / "README.md"  # what GitHub shows for a folder
        if target.suffix.lower() != ".md" or not target.is_file():
            continue  # an anchor into code (#L10) or a page GitHub does not render
        if target not in cache:
            cache[target] = anchors(target)
        fragment = unquote(parts.fragment)
        if fragment not in cache[target]:
            wrong.append(f"{where}: {target.relative_to(root)} has no heading with the anchor #{fragment}")
    return wrong


def test_the_documentation_is_there():
    names = {str(p.relative_to(ROOT)) for p in doc_files()}
    assert "README.md" in names
    assert "docs/README.md" in names


@pytest.mark.parametrize("path", doc_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_leads_somewhere(path):
    wrong = problems(path)
    assert not wrong, "broken links:\n" + "\n".join(wrong)


# The checker itself, on pages made for the purpose.


@pytest.mark.parametrize(
    "heading, anchor",
    [
        ("What the API's quantity means", "what-the-apis-quantity-means"),
        ("Install into an existing Odoo 19", "install-into-an-existing-odoo-19"),
        ("`sync-cli` reference", "sync-cli-reference"),
        ("The Docker image's entrypoint", "the-docker-images-entrypoint"),
        ("Batch size and concurrency", "batch-size-and-concurrency"),
        ("Prévisualiser la synchronisation", "prévisualiser-la-synchronisation"),
        ("Options: `--base-url` & co.", "options---base-url--co"),
        ("snake_case and _emphasis_", "snake_case-and-emphasis"),
        ("A [link](x.md) inside", "a-link-inside"),
    ],
)
def test_anchors_are_githubs(heading, anchor):
    assert slug(heading_text(heading)) == anchor


@pytest.fixture
def site(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "page.md").write_text(
        "# Page\n\n## Same\n\ntext\n\n## Same\n\nSetext heading\n--------------\n\n```sh\n# not a heading\n```\n",
        encoding="utf-8",
    )
    return tmp_path


def page_problems(site, text):
    readme = site / "README.md"
    readme.write_text(text, encoding="utf-8")
    return problems(readme, root=site)


def test_links_that_lead_somewhere_pass(site):
    text = (
        "# Top\n\n[page](docs/page.md), [a heading](docs/page.md#same), [the second](docs/page.md#same-1),\n"
        "[setext](docs/page.md#setext-heading), [here](#top), [folder](docs/), ![img](<docs/page.md>)\n"
        "[ref]: docs/page.md#page\n[web](https://example.com/nowhere.md#x) [mail](mailto:a@b.c)\n"
    )
    assert page_problems(site, text) == []


@pytest.mark.parametrize(
    "link, problem",
    [
        ("[gone](docs/gone.md)", "does not exist"),
        ("[gone](docs/page.md#gone)", "no heading with the anchor #gone"),
        ("[code is no heading](docs/page.md#not-a-heading)", "no heading with the anchor"),
        ("[third](docs/page.md#same-2)", "no heading with the anchor #same-2"),
        ("[here](#nowhere)", "no heading with the anchor #nowhere"),
        ("![img](screenshots/gone.png)", "does not exist"),
        ("[out](../elsewhere.md)", "leads out of the repository"),
        ('<a href="docs/gone.md">html</a>', "does not exist"),
        ("[ref]: docs/gone.md", "does not exist"),
    ],
)
def test_broken_links_are_caught(site, link, problem):
    wrong = page_problems(site, f"# Top\n\nSome text, then {link}\n" if "]:" not in link else f"# Top\n\n{link}\n")
    assert len(wrong) == 1 and problem in wrong[0], wrong
    assert wrong[0].startswith("README.md:3: ")


def test_code_is_not_taken_for_links(site):
    text = "# Top\n\n`[not a link](gone.md)` and\n\n```md\n[nor this](gone.md)\n```\n\n~~~\n[nor](x.md)\n~~~\n"
    assert page_problems(site, text) == []
