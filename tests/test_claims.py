"""Every sentence the app shows that states a number, a comparison or a mathematical fact is a claim
(``claims.claim``) whose check recomputes it with an independent reference — and every check holds.

Preset notices and lesson steps are checked on the exact view they describe (the page's defaults, the preset's
values, the step's link values); other claims on the page's defaults. A check no page uses is an error too: the
sentence it proved has gone, or was rewritten without it.
"""

import pytest

from claims import CHECKS, MADE, Claim
from tests.test_app_pages import PAGES, declared, open_page, url_of
from ui.lessons import LESSONS

PATH = {url_of(p): p for p in PAGES}


def values_of(page: str, preset: str | None = None, extra: dict | None = None) -> dict:
    params, presets = declared(PATH[page])
    return {p.name: p.default for p in params} | (presets[preset].values if preset else {}) | (extra or {})


PRESETS = [(url_of(p), slug) for p in PAGES for slug in declared(p)[1]]
STEPS = [(lesson.slug, i) for lesson in LESSONS.values() for i, _ in enumerate(lesson.steps)]


@pytest.mark.parametrize("page, slug", PRESETS)
def test_every_preset_says_only_what_its_run_shows(page, slug):
    notice = declared(PATH[page])[1][slug].notice
    assert isinstance(notice, Claim), f"the {slug} preset's notice has no check: write it as claim(check, text)"
    assert notice.page == page, f"{slug} is checked by a check of {notice.page}"
    notice.check(values_of(page, slug))
    title = declared(PATH[page])[1][slug].label
    if isinstance(title, Claim):  # a title that asserts something is checked on the preset's run too
        assert title.page == page
        title.check(values_of(page, slug))


@pytest.mark.parametrize("lesson, index", STEPS)
def test_every_lesson_step_says_only_what_its_view_shows(lesson, index):
    step = LESSONS[lesson].steps[index]
    assert isinstance(step.look, Claim), f"{lesson} step {index + 1}'s text has no check"
    for text in (step.look, step.ask):
        if isinstance(text, Claim):
            assert text.page == step.page
            text.check(values_of(step.page, step.preset, step.values))


def test_every_other_claim_holds_on_its_page_defaults_and_every_check_is_used():
    for path in PAGES:
        open_page(path)  # a page makes its captions' claims as it runs
    attached = {(s.page, s.check_name) for s in MADE.values()}
    special = {(n.page, n.check_name) for p in PAGES for pr in declared(p)[1].values()
               for n in (pr.notice, pr.label) if isinstance(n, Claim)}
    special |= {(t.page, t.check_name) for lesson in LESSONS.values() for s in lesson.steps
                for t in (s.look, s.ask) if isinstance(t, Claim)}
    for made in MADE.values():
        if (made.page, made.check_name) not in special:
            made.check(values_of(made.page))
    unused = {(page, name) for page, fns in CHECKS.items() for name in fns} - attached
    assert not unused, f"checks that no sentence uses: {sorted(unused)}"
