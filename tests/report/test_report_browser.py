"""The report in headless Chromium: no console error, no network request, every plot drawn, the slider works.

Chromium is the system one (/usr/bin/chromium), driven by Playwright; ``playwright install`` is never needed.
A full-page screenshot is saved to test-artifacts/report.png.
"""

from __future__ import annotations

from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
SECTION_IDS = ["setup", "training", "topology", "transformation", "train-test", "drilldown", "findings"]

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="headless browser test needs /usr/bin/chromium")

# Per plot: traces shown, points they hold (finite x/y/z values), and SVG marks drawn in the DOM. Read from
# plotly's decoded ``_fullData`` (``gd.data`` keeps the base64 typed arrays as the JSON gave them).
DRAWN = """() => Array.from(document.querySelectorAll('.js-plotly-plot')).map(gd => {
  const shown = gd._fullData.filter(t => t.visible === true);
  const isArray = a => Array.isArray(a) || ArrayBuffer.isView(a);
  const flat = a => isArray(a) ? Array.from(a).flatMap(v => isArray(v) ? flat(v) : [v]) : [];
  const count = a => flat(a).filter(v => v !== null && v !== undefined && !Number.isNaN(v)).length;
  const points = shown.reduce((n, t) => n + Math.max(count(t.z), count(t.y), count(t.x)), 0);
  const marks = gd.querySelectorAll('path.point, .hm image, g.heatmaplayer image, path.js-line, .bars path').length;
  return {id: gd.id || gd.dataset.figure, shown: shown.length, points: points, marks: marks};
})"""
PROJECTION = """() => document.getElementById('drill-plot').data
  .filter(t => t.xaxis === 'x').map(t => [t.name, Array.from(t.x).slice(0, 50), Array.from(t.y).slice(0, 50)])"""


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield browser
        browser.close()


class Page:
    """A report opened in a fresh page, with its console errors and network requests recorded."""

    def __init__(self, browser, path: Path) -> None:
        self.page = browser.new_page(viewport={"width": 1400, "height": 1000})
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.goto(path.resolve().as_uri(), wait_until="load")
        self.page.wait_for_function("document.querySelectorAll('.js-plotly-plot').length >= 7", timeout=30_000)


@pytest.fixture(scope="module")
def report_page(browser, quick_report):
    page = Page(browser, quick_report.run_dir / "report.html")
    yield page
    page.page.close()


def test_report_opens_offline_without_errors(report_page):
    assert report_page.errors == []
    assert [url for url in report_page.requests if not url.startswith("file://")] == []
    assert len(report_page.requests) == 1  # the file itself, nothing else
    hrefs = report_page.page.eval_on_selector_all("[href], [src]", "els => els.map(e => e.href || e.src)")
    assert [h for h in hrefs if h.startswith(("http:", "https:"))] == []  # also after plotly built its DOM


def test_every_section_is_present(report_page):
    for section in SECTION_IDS:
        heading = report_page.page.locator(f"section#{section} > h2")
        assert heading.count() == 1 and heading.is_visible()


def test_every_plot_has_drawn_data(report_page):
    plots = report_page.page.evaluate(DRAWN)
    ids = [p["id"] for p in plots]
    assert ids == ["architecture", "training", "topology_heatmaps", "depth_profiles", "transformation",
                   "train_test", "drill-plot"]  # fmt: skip
    for plot in plots:
        assert plot["shown"] > 0 and plot["points"] > 0 and plot["marks"] > 0, plot
    heatmaps = next(p for p in plots if p["id"] == "topology_heatmaps")
    assert heatmaps["shown"] == 15 and heatmaps["points"] == 15 * 6 * 4  # 5 quantities x 3 models, 6x4 cells
    drill = next(p for p in plots if p["id"] == "drill-plot")
    assert drill["marks"] >= 400  # the projected points at least


def test_every_static_evolution_figure_is_shown_decoded(report_page):
    figures = report_page.page.evaluate(
        """() => [...document.querySelectorAll('figure[data-static] img')].map(img => ({
            name: img.closest('figure').dataset.static, width: img.naturalWidth, height: img.naturalHeight,
            shown: img.getBoundingClientRect().width }))"""
    )
    names = [f["name"] for f in figures]
    assert names == ["evolution", "betti_curves", "significant_diagrams", "noise_floor"] + [
        f"projections_{m}" for m in ("good", "narrow_first", "narrow_middle")
    ]
    for figure in figures:
        assert figure["width"] > 300 and figure["height"] > 100 and figure["shown"] > 100, figure
    assert report_page.page.locator("p[data-static]").count() == 0  # no figure fell back to "no data"


def test_epoch_slider_moves_the_projection(report_page):
    page = report_page.page
    assert page.text_content("#drill-epoch-label") == "30"
    before = page.evaluate(PROJECTION)
    assert sum(len(x) for _, x, _ in before) > 0
    page.focus("#drill-epoch")
    page.keyboard.press("Home")
    page.wait_for_function("document.getElementById('drill-epoch-label').textContent === '0'")
    after = page.evaluate(PROJECTION)
    assert [name for name, _, _ in after] == [name for name, _, _ in before]
    assert all(x0 != x1 for (_, x0, _), (_, x1, _) in zip(before, after, strict=True))
    assert "epoch 0" in page.text_content("#drill-info")
    page.select_option("#drill-model", "narrow_first")
    page.select_option("#drill-layer", "hidden1")
    assert "narrow_first, seed 0, epoch 0, hidden1" in page.text_content("#drill-info")
    assert page.evaluate(PROJECTION) != after
    assert report_page.errors == []


def test_dropdown_switches_the_heatmap_view(report_page):
    page = report_page.page
    visible = """() => { const gd = document.querySelector('[data-figure=topology_heatmaps]');
      return gd.data.map((t, i) => t.visible === true ? i : -1).filter(i => i >= 0); }"""
    before = page.evaluate(visible)
    page.evaluate("""() => { const gd = document.querySelector('[data-figure=topology_heatmaps]');
      const buttons = gd.layout.updatemenus[0].buttons, button = buttons[buttons.length - 1];
      return Plotly.update(gd, button.args[0], button.args[1]); }""")
    after = page.evaluate(visible)
    assert len(after) == len(before) == 15 and after != before


def test_screenshot_artifact(report_page):
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / "report.png"
    report_page.page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 100_000


def test_damaged_report_shows_gaps_without_errors(browser, damaged_report):
    page = Page(browser, damaged_report.run_dir / "report.html")
    try:
        assert page.errors == []
        notes = page.page.eval_on_selector_all(
            "[data-figure=train_test] .annotation-text", "els => els.map(e => e.textContent)"
        )
        assert notes.count("no data") == 3  # one per model
        drill = page.page.eval_on_selector_all("#drill-plot .annotation-text", "els => els.map(e => e.textContent)")
        assert "no data" in drill  # no projections in this run folder
        ARTIFACTS.mkdir(exist_ok=True)
        page.page.screenshot(path=str(ARTIFACTS / "report-damaged.png"), full_page=False)
    finally:
        page.page.close()
