"""Run axe-core (npm `axe-core`, installed by .ci/browser-deps) in a Playwright page.

The site's CSP (`script-src 'self'`) blocks an injected script, so call this
only on a page from a context made with `bypass_csp=True` and JavaScript on
(the `axe_page` fixture). axe finds about half of the problems; keyboard use,
focus order and meaningful text are checked by the flow tests.
"""
from __future__ import annotations

from pathlib import Path

import pytest

AXE_JS = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
# WCAG 2.1 A and AA: what the Norwegian regulation on universal design of ICT requires.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def run(page) -> list[dict]:
    """axe's violations for the page as it is now."""
    if not AXE_JS.is_file():
        pytest.fail(f"{AXE_JS} is missing: run `bash .ci/browser-deps` once.", pytrace=False)
    if not page.evaluate("typeof window.axe === 'object'"):
        page.add_script_tag(path=str(AXE_JS))
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        WCAG_TAGS,
    )
    return result["violations"]


def describe(violations: list[dict]) -> str:
    """One block per rule: id, impact, help, and the offending nodes."""
    lines = []
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation.get('impact')}): {violation['help']}")
        lines.append(f"  {violation['helpUrl']}")
        for node in violation["nodes"]:
            target = " ".join(str(part) for part in node["target"])
            lines.append(f"    at {target}")
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            if summary:
                lines.append(f"       {summary}")
    return "\n".join(lines)


def assert_accessible(page, where: str = "") -> None:
    """Fail with a readable list when axe finds a WCAG 2.1 A/AA violation."""
    violations = run(page)
    label = where or page.url
    assert not violations, f"axe-core found {len(violations)} WCAG 2.1 A/AA violation(s) on {label}:\n" + describe(violations)
