"""Lessons: every step names a real page and preset, AppTest walks every lesson to its end, and a link to a step
the lesson does not have says so instead of showing another step."""

from urllib.parse import urlencode

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


def test_a_link_names_its_step_and_a_step_the_lesson_lacks_is_none():
    lesson = LESSONS["first-hour"]
    assert current(step_link(lesson, 2)) == (lesson, 2)
    assert current({"lesson": "first-hour", "step": "6"}) == (lesson, 5)
    for no_step in ({}, {"step": ""}, {"step": " "}, {"step": " 1 "}):  # no step asked for: the start
        assert current({"lesson": "first-hour", **no_step}) == (lesson, 0), no_step
    for bad in ("7", "99", "0", "-3", "+2", "1_0", "1.0", "abc", "two", "٣", "9" * 5000):
        assert current({"lesson": "first-hour", "step": bad}) == (lesson, None), bad
    assert current({"lesson": "nope"}) is None


@pytest.mark.parametrize("asked", ["99", "0", "-3", "abc"])
def test_a_step_the_lesson_lacks_is_named_and_the_first_step_linked(asked):
    """``?lesson=first-hour&step=99`` once showed step 6's instructions on whatever page the link opened."""
    from streamlit.testing.v1 import AppTest

    lesson = LESSONS["first-hour"]
    assert len(lesson.steps) == 6  # the sentence below is checked with the number written out
    last = lesson.steps[-1]
    at = AppTest.from_file(APP, default_timeout=120)
    at.run().switch_page(PAGES[last.page])  # the page the clamped step used to send its instructions to
    at.query_params["lesson"], at.query_params["step"] = "first-hour", asked
    at.run()
    assert_clean(at)
    said = [w.value for w in at.warning if w.icon == "🔢"]
    assert said == [f"**📚 {lesson.title}** has no step `{asked}`: it has 6 steps, numbered 1 to 6."]
    assert not [w for w in at.warning if w.icon == "🔗"]  # "step" is the lesson's key, not an unknown parameter
    shown = " ".join(m.value for m in at.markdown)
    assert "step 6 of" not in shown and last.look not in shown and last.ask not in shown
    assert not {"lesson-prev", "lesson-next"} & {b.key for b in at.button}  # no Previous / Next from nowhere
    first = [link.proto for link in at.get("page_link") if link.proto.label.startswith("Start at step 1")]
    assert len(first) == 1
    assert first[0].label == f"Start at step 1 of 6: {lesson.steps[0].title}"
    assert first[0].page == lesson.steps[0].page
    assert first[0].query_string == urlencode(step_link(lesson, 0))


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
