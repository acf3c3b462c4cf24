"""The batch-size page driven with AppTest: its sections, and its messages for settings that fail."""

import json

from tests.test_app_pages import assert_clean, open_page

PAGE = "pages/batch-size.py"


def charts(at):
    return {c.proto.id: json.loads(c.proto.spec) for c in at.get("plotly_chart")}


def test_default_view_races_five_batch_sizes_and_shows_cloud_and_sweep():
    at = open_page(PAGE)
    assert_clean(at)
    specs = list(charts(at).values())
    race = next(s for s in specs if s.get("frames") and s["layout"].get("updatemenus"))
    names = {t.get("name") for t in race["data"]}
    assert {"B = 1", "B = 8", "B = 32", "B = 128", "full batch (512)"} <= names
    cloud = next(s for s in specs if s.get("frames") and not s["layout"].get("updatemenus"))
    assert [st["label"].split(" ·")[0] for st in cloud["layout"]["sliders"][0]["steps"]][:3] == ["B = 1", "B = 2",
                                                                                                  "B = 4"]
    assert len(at.dataframe[0].value) == 5
    assert any("B_crit" in c.value for c in at.caption)
    assert any(m.label.startswith("Noise scale") for m in at.metric)


def test_a_learning_rate_past_the_stability_limit_is_reported():
    at = open_page(PAGE, lr="1", sizes="full")
    assert_clean(at)
    assert any("diverged" in e.value and "lower η" in e.value for e in at.error)


def test_sweep_without_the_cap_reports_the_batch_sizes_that_diverge():
    at = open_page(PAGE, cap="false")
    assert_clean(at)
    assert any("Diverged at B =" in c.value for c in at.caption)


def test_sharpness_experiment_runs_when_switched_on():
    at = open_page(PAGE, sharp="true", sharp_updates="1000")
    assert_clean(at)
    sharp = [s for s in charts(at).values() if "Sharpness" in json.dumps(s.get("layout", {}), ensure_ascii=False)]
    assert len(sharp) == 1 and [t["type"] for t in sharp[0]["data"]].count("bar") == 1


def test_with_replacement_and_compute_time_axis():
    at = open_page(PAGE, sampling="replace", x_axis="seconds", steps="1000")
    assert_clean(at)
    race = next(s for s in charts(at).values() if s.get("frames") and s["layout"].get("updatemenus"))
    assert "per second of compute" in json.dumps(race["layout"]["annotations"])
    assert len(json.dumps(race)) < 3_000_000
