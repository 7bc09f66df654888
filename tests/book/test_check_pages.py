"""Rendered-page checks: warnings, build paths, the smoke banner, alt text (small HTML fixtures)."""

from __future__ import annotations

from howbig import cli
from howbig.book import check_pages
from howbig.book.page import BANNER_CLASS, fixture_banner_markdown

PAGE = """<!DOCTYPE html><html><head><script>var p = "/home/ci/.venv/lib/x";</script>
<style>.RuntimeWarning {{}}</style></head><body><nav>/home/nav/is/not/content</nav>
<article class="bd-article">{body}</article></body></html>"""
OUTPUT = '<div class="cell docutils container"><div class="cell_output docutils container">' \
         '<div class="output stream highlight-myst-ansi notranslate"><pre>{text}</pre></div>' \
         '</div></div>'
BANNER = (f'<div class="admonition warning {BANNER_CLASS}"><p class="admonition-title">Smoke '
          'build: fixture data</p><p>This page ran on 40-record fixtures to test the code '
          'path; its numbers are not results.</p></div>')
LEAK = ("/work/main/.venv/lib/python3.11/site-packages/numpy/_core/_methods.py:194: "
        "RuntimeWarning: invalid value encountered in subtract")


def _site(tmp_path, pages: dict[str, str]):
    site = tmp_path / "html"
    for name, body in {"index.html": "<p>Home</p>", **pages}.items():
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        (site / name).write_text(PAGE.format(body=body))
    return site


def test_clean_site_passes(tmp_path):
    prose = ("<p>A warning about models: see <a href='/home/x'>here</a>, run "
             "<code>.venv/bin/howbig data list</code> and "
             "https://example.org/home/data, the file src/howbig/report.py and 2/3.</p>"
             '<img alt="Two learning curves falling" src="../_images/ab12.png"/>')
    site = _site(tmp_path, {"notebooks/02_x.html": prose + OUTPUT.format(text="MAE 31 meV")})
    assert check_pages.check_site(site, require_alt=True) == []


def test_warning_and_build_path_in_an_output_fail(tmp_path):
    site = _site(tmp_path, {"notebooks/05_x.html": OUTPUT.format(text=LEAK)})
    problems = check_pages.check_site(site)
    assert any(p.startswith("notebooks/05_x.html: warning:") and "RuntimeWarning" in p
               for p in problems)
    assert any(p.startswith("notebooks/05_x.html: build path:") and "/work/main" in p
               for p in problems)


def test_warning_words_an_output_or_a_page_must_not_show(tmp_path):
    site = _site(tmp_path, {
        "a.html": OUTPUT.format(text="UserWarning: the figure is empty"),
        "b.html": OUTPUT.format(text="Warning: All-NaN slice encountered"),
        "c.html": "<p>The run raised a FutureWarning once.</p>",
        "d.html": "<p>Warning signs of overfitting.</p>"})  # prose: a word, not a warning
    pages = sorted({p.split(":")[0] for p in check_pages.check_site(site)})
    assert pages == ["a.html", "b.html", "c.html"]


def test_paths_of_the_build_and_of_a_windows_machine(tmp_path):
    site = _site(tmp_path, {
        "a.html": "<p>saved to /tmp/book_build/results/x.json</p>",
        "b.html": r"<p>C:\Users\me\howbig\x.py</p>",
        "c.html": "<p>lib/python3.11/site-packages/jax/_src/x.py</p>",
        "d.html": "<p>in /srv/ci/howbig-42/notebooks</p>"})
    problems = check_pages.check_site(site, extra_paths=("/srv/ci/howbig-42",))
    assert sorted({p.split(":")[0] for p in problems}) == ["a.html", "b.html", "c.html",
                                                           "d.html"]


def test_smoke_chapter_pages_need_the_banner(tmp_path):
    site = _site(tmp_path, {"notebooks/02_x.html": BANNER + "<p>text</p>",
                            "notebooks/03_x.html": "<p>no banner</p>",
                            "book/status.html": "<p>not a chapter</p>"})
    problems = check_pages.check_site(site, smoke=True)
    assert problems == ["notebooks/03_x.html: no fixture banner (howbig.book.page."
                        "fixture_banner) on a chapter page of a smoke build"]
    assert check_pages.check_site(site) == []  # not a smoke site: no banner needed


def test_banner_words_in_the_check_match_the_page_helper():
    markdown = fixture_banner_markdown("smoke", 40)
    assert BANNER_CLASS in markdown
    assert "This page ran on 40-record fixtures to test the code path; its numbers are not " \
           "results." in markdown and "its numbers are not results." in BANNER


def test_figures_without_alt_text(tmp_path):
    site = _site(tmp_path, {"notebooks/02_x.html":
                            '<img alt="../_images/ab12.png" src="../_images/ab12.png"/>'
                            '<img src="../_images/cd34.png"/>'
                            '<img alt="Parity plot of predicted against DFT energies" '
                            'src="../_images/ef56.png"/>'})
    problems = check_pages.check_site(site, require_alt=True)
    assert [p.rsplit("/", 1)[1] for p in problems] == ["ab12.png", "cd34.png"]
    assert check_pages.check_site(site) == []


def test_generated_pages_and_static_files_are_skipped(tmp_path):
    site = _site(tmp_path, {"genindex.html": OUTPUT.format(text=LEAK),
                            "_static/x.html": OUTPUT.format(text=LEAK)})
    assert check_pages.check_site(site) == []
    assert check_pages.check_site(tmp_path / "nothing") == [
        f"{tmp_path / 'nothing'}: no rendered site here (no index.html)"]


def test_check_pages_command(tmp_path, capsys):
    site = _site(tmp_path, {"notebooks/02_x.html": "<p>clean</p>"})
    assert cli.main(["book", "check-pages", str(site)]) == 0
    assert cli.main(["book", "check-pages", str(site), "--smoke"]) == 1
    out = capsys.readouterr()
    assert "no fixture banner" in out.err and "1 problem(s)" in out.out
