"""The smoke build's fixture banner: exact words, shown in the smoke profile only."""

from __future__ import annotations

import pytest

from howbig.book import page

SENTENCE = "This page ran on 40-record fixtures to test the code path; its numbers are not results."


@pytest.mark.parametrize("profile", ["quick", "full"])
def test_no_banner_outside_the_smoke_profile(profile, capsys):
    assert page.fixture_banner_markdown(profile, 40) is None
    page.fixture_banner(profile, 40)
    assert capsys.readouterr().out == ""


def test_banner_words_and_admonition():
    text = page.fixture_banner_markdown("smoke", 40)
    assert text == ("```{admonition} Smoke build: fixture data\n"
                    ":class: warning howbig-fixture-banner\n"
                    "\n"
                    f"{SENTENCE}\n"
                    "```\n")
    assert SENTENCE.endswith(page.BANNER_MARK)


def test_banner_size_from_a_glued_value_or_unstated():
    glued = page.fixture_banner_markdown("smoke", "tr_n_records")
    assert "This page ran on {glue:text}`tr_n_records`-record fixtures to test the code path" \
        in glued
    assert "This page ran on small fixtures to test the code path; its numbers are not results." \
        in page.fixture_banner_markdown("smoke")


def test_banner_is_displayed_in_the_smoke_profile(monkeypatch):
    shown = []
    monkeypatch.setattr(page, "display", shown.append)
    page.fixture_banner("smoke", 7)
    assert len(shown) == 1 and "7-record fixtures" in shown[0].data
