"""Command line: ``howbig data ...``, ``howbig book ...``, ``howbig dft ...``, ``howbig nas ...``.

Examples
--------
::

    howbig data list                 # datasets, sizes, licences, cached or not
    howbig data fetch --all          # workshop: pre-fetch everything the quick profile reads
    howbig data fetch --all --profile full   # ... or what the full profile reads
    howbig data verify               # re-check checksums of the cache
    howbig data fetch gesn2n4 --force   # replace a damaged cached file by a verified copy
    howbig book build                # execute all notebooks (quick) and render the site
    howbig book run 02_transferability --profile full   # execute one chapter
    howbig book colab                # Colab notebooks from the executed build of this commit
    howbig book check-pages _build/html   # no warning or build path in a rendered page
    howbig dft hbn --jobs 2          # regenerate Chapter 3's h-BN data (resumable)
    howbig nas worker --storage postgresql://u:pw@host/db --study mpeu --n-trials 25

Expected failures (no network, a checksum mismatch, a missing file) print one message that says
what to do and exit with status 1; ``howbig --debug ...`` shows the traceback as well.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import traceback
from pathlib import Path

from howbig.profiles import PROFILES, profile_datasets

__all__ = ["main"]

# Generators of data the project computes itself: subcommand -> module with ``main(argv)``.
DFT_COMMANDS = {
    "hbn": ("howbig.dft.hbn", "h-BN DOS convergence grid for Chapter 3 (PySCF)"),
    "basis-errors": ("howbig.dft.basis_errors", "basis-set errors of small molecules, Chapter 5"),
}


def _human(size: int | None) -> str:
    if size is None:
        return "?"
    value = float(size)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} GB"


# Short name of each expected failure, for the summary table of `howbig data fetch`.
_PROBLEMS = {
    "DataUnavailableError": "not cached, no source reachable",
    "ChecksumMismatchError": "checksum mismatch",
    "CorruptArchiveError": "damaged archive",
}
_HEADER = ("dataset", "file", "problem", "what to do")


def _datasets(names: list[str]) -> list:
    """The registry entries of ``names``; an unknown name is an expected (data) error."""
    from howbig import data  # deferred: pooch and requests (~0.1 s), not for `howbig --help`

    try:
        return [data.dataset(n) for n in names]
    except KeyError as exc:
        raise data.DataError(exc.args[0]) from None


def _fetch(names: list[str], *, force: bool, debug: bool) -> int:
    """Fetch every file of ``names``, past failures.

    One line per file (``ok`` on stdout, ``FAILED`` with the first line of the error on stderr),
    then a table of what is missing; ``--debug`` adds each error's full message and traceback.
    """
    from howbig import data  # deferred: pooch and requests (~0.1 s), not for `howbig --help`

    datasets = _datasets(names)  # unknown names fail before any download
    failed: list[tuple[str, str, str, str]] = []
    files = [(ds, f) for ds in datasets for f in ds.files]
    for ds, entry in files:
        try:
            path = data.fetch_file(entry.name, progress=True, force=force)
        except data.DataError as exc:
            if debug:
                traceback.print_exc()
            problem = _PROBLEMS.get(type(exc).__name__, "error")
            if isinstance(exc, data.DataUnavailableError):
                kept = data.cached_path(entry.name).is_file()  # --force kept a damaged copy
                problem = "damaged copy kept, no source reachable" if kept else problem
                todo = f"put it at {data.cached_path(entry.name)} or set HOWBIG_MIRROR"
            else:
                todo = f"howbig data fetch {ds.name} --force"
            failed.append((ds.name, entry.name, problem, todo))
            print(f"FAILED {str(exc).splitlines()[0]}", file=sys.stderr, flush=True)
            continue
        print(f"ok  {path}", flush=True)
    if not failed:
        return 0
    widths = [max(len(row[i]) for row in [*failed, _HEADER]) for i in range(3)]
    print(f"\n{len(failed)} of {len(files)} files are missing "
          f"(`howbig --debug data fetch ...` shows the full messages):", file=sys.stderr)
    for row in [_HEADER, *failed]:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=False))
              + "  " + row[3], file=sys.stderr)
    return 1


def _data(args: argparse.Namespace) -> int:
    from howbig import data  # deferred: pooch and requests (~0.1 s), not for `howbig --help`
    if args.action == "list":
        used = {p: set(profile_datasets(p)) for p in PROFILES}
        print(f"{'dataset':30} {'profiles':17} {'size':>9}  {'licence':14} cached  files")
        for ds in data.REGISTRY.values():
            cached = sum(data.is_cached(f.name) for f in ds.files)
            profiles = ",".join(p for p in PROFILES if ds.name in used[p]) or "-"
            print(
                f"{ds.name:30} {profiles:17} {_human(ds.size):>9}  {ds.licence:14} "
                f"{cached}/{len(ds.files):<5} {', '.join(f.name for f in ds.files)}"
            )
        print("profiles: the profiles whose chapters read the dataset (-: tests and benchmarks)")
        print(f"cache: {data.cache_dir()}   mirror: {data.mirror() or '(none)'}")
        return 0
    if args.action == "fetch":
        names = list(args.names)
        if args.all:
            names += [n for n in profile_datasets(args.profile) if n not in names]
        if not names:
            print("name one or more datasets, or use --all (see `howbig data list`)",
                  file=sys.stderr)
            return 2
        return _fetch(names, force=args.force, debug=args.debug)
    if args.action == "verify":
        _datasets(args.names)
        bad = 0
        for ds_name, file_name, status in data.verify(args.names or None):
            print(f"{status:14} {ds_name:30} {file_name}")
            bad += status == "MISMATCH"
        return 1 if bad else 0
    raise AssertionError(args.action)


def _book(args: argparse.Namespace) -> int:
    # deferred: the book machinery (pandas, nbformat: ~0.3 s) loads only for `howbig book`
    from howbig.book import pipeline as book
    from howbig.book.colab import BuildMissingError, check_repository, placeholder_warning
    from howbig.book.smoke import stand_in_mentions

    root = Path(getattr(args, "root", ".")).resolve()
    build_dir = Path(args.build_dir).resolve() if getattr(args, "build_dir", None) else None
    if args.action in ("build", "colab"):
        warning = placeholder_warning(root)
        if warning:
            print(f"[howbig] {warning}", file=sys.stderr)
    if args.action == "build":
        return book.build(root, profile=args.profile, render=not args.no_render,
                          timeout=args.timeout, build_dir=build_dir)
    if args.action == "run":
        docs = [d if "/" in d else f"notebooks/{d}" for d in args.documents]
        docs = [d.removesuffix(".md") for d in docs]
        return book.build(root, profile=args.profile, only=docs, render=args.render,
                          timeout=args.timeout, build_dir=build_dir)
    if args.action == "colab":
        try:
            written = book.colab_notebooks(root, Path(args.out), build_dir=build_dir)
        except BuildMissingError as exc:
            print(f"howbig: error: {exc}", file=sys.stderr)
            return 1
        for path in written:
            print(path)
        return 0
    if args.action == "check-repository":
        try:
            print(f"repository: {check_repository(root, args.expect)}")
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        return 0
    if args.action == "check-smoke":
        found = stand_in_mentions(Path(args.site))
        for page, name in found:
            print(f"{page}: names the quick-profile stand-in {name!r}", file=sys.stderr)
        print(f"[howbig] stand-in check: {len(found)} mention(s) in {args.site}")
        return 1 if found else 0
    if args.action == "check-pages":
        # deferred: BeautifulSoup (~0.1 s), only for check-pages
        from howbig.book.check_pages import check_site, figures_without_alt, pages

        problems = check_site(Path(args.site), smoke=args.smoke, require_alt=args.require_alt,
                              extra_paths=(str(root),))
        for problem in problems:
            print(problem, file=sys.stderr)
        print(f"[howbig] page check of {args.site}: {len(problems)} problem(s)")
        if not args.require_alt:
            missing = sum(len(figures_without_alt(main)) for _, main in pages(Path(args.site)))
            print(f"[howbig] figures without alt text: {missing} (--require-alt fails on them)")
        return 1 if problems else 0
    raise AssertionError(args.action)


def _dft(args: argparse.Namespace) -> int:
    module = importlib.import_module(DFT_COMMANDS[args.generator][0])
    return int(module.main(list(args.args)) or 0)


def _nas(args: argparse.Namespace) -> int:
    from howbig.chapters.infrastructure import nas  # deferred: optuna ~1 s, only for `howbig nas`

    return int(nas.main(list(args.args), prog="howbig nas") or 0)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="howbig", description=__doc__.split("\n")[0])
    parser.add_argument("--debug", action="store_true",
                        help="show the traceback of expected errors too")
    sub = parser.add_subparsers(dest="command", required=True)

    data_p = sub.add_parser("data", help="datasets: list, fetch, verify")
    data_sub = data_p.add_subparsers(dest="action", required=True)
    data_sub.add_parser("list", help="datasets, sizes, licences, cached or not")
    fetch_p = data_sub.add_parser("fetch", help="fetch datasets into the cache")
    fetch_p.add_argument("names", nargs="*", help="dataset names (see `howbig data list`)")
    fetch_p.add_argument("--all", action="store_true",
                         help="every dataset the chapters read in --profile; continues past "
                              "failures and ends with a table of what is missing")
    fetch_p.add_argument("--profile", choices=sorted(PROFILES), default="quick",
                         help="the profile of --all (default: %(default)s)")
    fetch_p.add_argument("--force", action="store_true",
                         help="replace cached files that fail their check by verified copies")
    verify_p = data_sub.add_parser("verify", help="re-check checksums of cached files")
    verify_p.add_argument("names", nargs="*")

    book_p = sub.add_parser("book", help="execute notebooks and build the site")
    book_sub = book_p.add_subparsers(dest="action", required=True)
    for name, helptext in (("build", "execute every notebook and render the site"),
                           ("run", "execute some notebooks only")):
        p = book_sub.add_parser(name, help=helptext)
        p.add_argument("--profile", choices=sorted(PROFILES), default="quick")
        p.add_argument("--root", default=".", help="repository root (default: .)")
        p.add_argument("--build-dir", default=None,
                       help="folder of this build (default: <root>/_build)")
        p.add_argument("--timeout", type=int, default=None, help="per-cell timeout, seconds")
        if name == "build":
            p.add_argument("--no-render", action="store_true", help="execute only")
        else:
            p.add_argument("documents", nargs="+", help="e.g. 02_transferability")
            p.add_argument("--render", action="store_true", help="also render the site")
    colab_p = book_sub.add_parser("colab", help="write unexecuted .ipynb files for Colab")
    colab_p.add_argument("--root", default=".")
    colab_p.add_argument("--out", default="_build/colab")
    colab_p.add_argument("--build-dir", default=None,
                         help="build whose glued values the text gets (default: <root>/_build)")
    repo_p = book_sub.add_parser("check-repository",
                                 help="fail while _config.yml's repository.url is a placeholder")
    repo_p.add_argument("--root", default=".")
    repo_p.add_argument("--expect", default=None, help="URL the repository must have")
    smoke_p = book_sub.add_parser("check-smoke",
                                  help="fail if a rendered smoke page names a quick stand-in")
    smoke_p.add_argument("site", help="rendered site, e.g. _build/smoke/html")
    pages_p = book_sub.add_parser(
        "check-pages", help="fail on warnings or build paths in rendered pages (and, with "
                            "--smoke, on a chapter page without the fixture banner)")
    pages_p.add_argument("site", help="rendered site, e.g. _build/html")
    pages_p.add_argument("--smoke", action="store_true",
                         help="a smoke site: every chapter page must show the fixture banner")
    pages_p.add_argument("--require-alt", action="store_true",
                         help="also fail on a figure without alt text")

    dft_p = sub.add_parser("dft", help="generate the data this project computes itself")
    dft_p.add_argument("generator", choices=sorted(DFT_COMMANDS),
                       help="; ".join(f"{k}: {v[1]}" for k, v in DFT_COMMANDS.items()))
    dft_p.add_argument("args", nargs=argparse.REMAINDER,
                       help="options of the generator (see `howbig dft NAME --help`)")

    nas_p = sub.add_parser("nas", add_help=False, prefix_chars="\0",
                           help="neural architecture search workers (`howbig nas worker --help`)")
    nas_p.add_argument("args", nargs=argparse.REMAINDER)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``howbig`` command."""
    argv = sys.argv[1:] if argv is None else argv
    args = _parser().parse_args(argv)  # `--help` exits here, before howbig.data loads
    from howbig.data import DataError  # deferred: pooch and requests (~0.1 s)

    commands = {"dft": _dft, "data": _data, "book": _book, "nas": _nas}
    try:
        return commands[args.command](args)
    except DataError as exc:
        # Expected: no network, a bad file, an unknown dataset name. The message says what
        # to do; the traceback only helps a developer.
        if args.debug:
            traceback.print_exc()
        print(f"howbig: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
