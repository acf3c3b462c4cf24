"""Lessons: every step names a real page and preset, and AppTest walks every lesson to its end."""

import pytest

from tests.test_app_pages import APP, assert_clean, declared
from ui.lessons import LESSONS, current, step_link
from ui.registry import EXPLORERS

PAGES = {e.url_path: e.path for e in EXPLORERS}


@pytest.mark.parametrize("slug", list(LESSONS))
def test_every_step_points_at_a_page_and_preset_that_exist(slug):
    for step in LESSONS[slug].steps:
        assert step.page in PAGES, step.page
        params, presets = declared(PAGES[step.page])
        assert step.preset is None or step.preset in presets, (step.page, step.preset)
        assert set(step.values) <= {p.name for p in params}


def test_every_explorer_has_a_lesson_and_one_crosses_pages():
    covered = {step.page for lesson in LESSONS.values() for step in lesson.steps}
    assert covered == set(PAGES)
    assert len({s.page for s in LESSONS["first-hour"].steps}) >= 5


def test_a_link_names_its_step_and_bad_steps_are_clamped():
    lesson = LESSONS["first-hour"]
    assert current(step_link(lesson, 2)) == (lesson, 2)
    assert current({"lesson": "first-hour", "step": "99"}) == (lesson, len(lesson.steps) - 1)
    assert current({"lesson": "first-hour", "step": "two"}) == (lesson, 0)
    assert current({"lesson": "nope"}) is None


@pytest.mark.parametrize("slug", list(LESSONS))
def test_apptest_walks_every_lesson_to_its_end(slug):
    from streamlit.testing.v1 import AppTest

    lesson = LESSONS[slug]
    at = AppTest.from_file(APP, default_timeout=120)
    at.run().switch_page(PAGES[lesson.steps[0].page])
    for key, value in step_link(lesson, 0).items():
        at.query_params[key] = value
    at.run()
    for index, step in enumerate(lesson.steps):
        assert_clean(at)
        bar = " ".join(m.value for m in at.markdown)
        assert f"step {index + 1} of {len(lesson.steps)}" in bar and step.title in bar
        assert not [w for w in at.warning if w.icon == "🔗"]  # lesson keys are not "unknown parameters"
        if step.preset:
            page = step.page
            assert at.session_state[f"{page}.preset"] == step.preset
        if index + 1 < len(lesson.steps):
            at.button(key="lesson-next").click().run()
            assert dict(at.query_params) == step_link(lesson, index + 1)  # "Next" links the next step
            # AppTest does not follow a page switch made by the script into later runs; follow it here
            at.switch_page(PAGES[lesson.steps[index + 1].page]).run()
    assert "The end" in " ".join(m.value for m in at.markdown)
