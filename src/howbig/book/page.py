"""Pieces every chapter page shares: the fixture banner of the smoke build.

A chapter shows the banner from a cell near its top, right after the parameters cell::

    ```{code-cell} ipython3
    :tags: [remove-input, book-only]
    from howbig.book.page import fixture_banner
    fixture_banner(profile)
    ```

In the ``smoke`` profile the cell displays a Markdown admonition (rendered as MyST, because
``_config.yml`` sets ``nb_render_markdown_format: myst``) that says the page ran on fixtures; in
every other profile it displays nothing. The tag ``remove-input`` hides the code and keeps the
banner; ``book-only`` drops the cell from the Colab notebook (Colab never runs the smoke profile).
``howbig book check-pages <site> --smoke`` fails on a smoke chapter page without the banner
(:data:`BANNER_CLASS` and :data:`BANNER_MARK` are what it looks for).

This module imports nothing beyond IPython: it runs in every chapter, on Colab too.
"""

from __future__ import annotations

from IPython.display import Markdown, display

__all__ = ["BANNER_CLASS", "BANNER_MARK", "BANNER_TITLE", "fixture_banner",
           "fixture_banner_markdown"]

#: CSS class of the banner's admonition (the rendered-page check looks for it).
BANNER_CLASS = "howbig-fixture-banner"
BANNER_TITLE = "Smoke build: fixture data"
#: The words every banner carries, whatever the size of the fixtures.
BANNER_MARK = "to test the code path; its numbers are not results."


def fixture_banner_markdown(profile: str, n_records: int | str | None = None, *,
                            data: str | None = None, note: str | None = None) -> str | None:
    """The banner's MyST Markdown in the ``smoke`` profile, ``None`` in any other.

    Parameters
    ----------
    profile
        The page's ``profile`` parameter.
    n_records
        Size of the fixtures the page ran on: a number of records; or the name of a glued value
        (a ``str``) when the chapter knows the size only further down (glue roles resolve over
        the whole page, so the banner may name a key glued later); ``None``: not stated.
    data
        What the page ran on, in the page's words, where that is not "N-record fixtures" (for
        example real data with settings cut to seconds); replaces the size.
    note
        A second paragraph from the page: which of its parts ran on what.

    Examples
    --------
    >>> print(fixture_banner_markdown("quick"))
    None
    >>> fixture_banner_markdown("smoke", 40).splitlines()[3]
    'This page ran on 40-record fixtures to test the code path; its numbers are not results.'
    >>> fixture_banner_markdown("smoke", data="cut settings").splitlines()[3]
    'This page ran on cut settings to test the code path; its numbers are not results.'
    """
    if profile != "smoke":
        return None
    if data is not None:
        size = data
    elif n_records is None:
        size = "small fixtures"
    elif isinstance(n_records, str):
        size = f"{{glue:text}}`{n_records}`-record fixtures"
    else:
        size = f"{int(n_records)}-record fixtures"
    more = f"\n{note}\n" if note else ""
    return (f"```{{admonition}} {BANNER_TITLE}\n"
            f":class: warning {BANNER_CLASS}\n"
            "\n"
            f"This page ran on {size} {BANNER_MARK}\n"
            f"{more}"
            "```\n")


def fixture_banner(profile: str, n_records: int | str | None = None, *,
                   data: str | None = None, note: str | None = None) -> None:
    """Display the fixture banner in the ``smoke`` profile (nothing in any other).

    See :func:`fixture_banner_markdown` for the parameters.
    """
    text = fixture_banner_markdown(profile, n_records, data=data, note=note)
    if text is not None:
        display(Markdown(text))
