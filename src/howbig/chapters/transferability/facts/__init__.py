"""The facts Chapter 2's pages state, one frozen dataclass per section, computed from the results.

Every page records its facts with ``Recorder("transferability", prefix="tr_", ...)``, so a field
``x`` is glued as ``tr_x``; field names are unique across the chapter's pages (a test checks
it). A field is a number, a :class:`~howbig.report.Measured`, a count, or a short word chosen
from the numbers (``"below"``/``"above"``, ``"excludes"``/``"includes"``); the sentences live in
the pages.

Words that state a *finding* (agreement with the paper, a verdict) take ``judged``: on the smoke
profile's fixture-sized runs they read :data:`NOT_JUDGED` instead, so a smoke page states no
finding. Values that cannot be computed on a sample are glued as "not computable"
(:func:`howbig.report.is_computable`).

Modules: :mod:`.common` (words, the cost, the chapter page), :mod:`.databases` (Section 2.1),
:mod:`.transfer` (2.2), :mod:`.curves` (2.3), :mod:`.yardsticks` (2.4). This package's face
re-exports them all.
"""

from howbig.chapters.transferability.facts.common import *  # noqa: F403
from howbig.chapters.transferability.facts.common import __all__ as _common
from howbig.chapters.transferability.facts.curves import *  # noqa: F403
from howbig.chapters.transferability.facts.curves import __all__ as _curves
from howbig.chapters.transferability.facts.databases import *  # noqa: F403
from howbig.chapters.transferability.facts.databases import __all__ as _databases
from howbig.chapters.transferability.facts.transfer import *  # noqa: F403
from howbig.chapters.transferability.facts.transfer import __all__ as _transfer
from howbig.chapters.transferability.facts.yardsticks import *  # noqa: F403
from howbig.chapters.transferability.facts.yardsticks import __all__ as _yardsticks

__all__ = [*_common, *_databases, *_transfer, *_curves, *_yardsticks]
