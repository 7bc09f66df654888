"""howbig.style.show_in: a widget's outputs set directly, figures closed."""

from __future__ import annotations

import ipywidgets as widgets
import matplotlib.pyplot as plt

from howbig.style import show_in


def test_show_in_replaces_the_outputs_and_closes_figures():
    out = widgets.Output()
    fig = plt.figure()
    show_in(out, "3 calculations", fig)
    assert [o["output_type"] for o in out.outputs] == ["stream", "display_data"]
    assert out.outputs[0]["text"] == "3 calculations\n"
    assert out.outputs[1]["data"]  # image/png too in a kernel (the inline backend formats it)
    assert not plt.fignum_exists(fig.number)
    show_in(out, "again")
    assert len(out.outputs) == 1
