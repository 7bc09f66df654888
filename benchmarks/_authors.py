"""The paper authors' code (tisabe/jraph_MPEU) for side-by-side benchmarks: locate, import, adapt.

Their repository carries no licence, so it is never copied into this project: it is read from a
directory the user names, or downloaded (the archive of one pinned commit) into a cache outside
the repository, and imported from there. Nothing of theirs is modified.
"""

from __future__ import annotations

import io
import os
import sys
import tarfile
import urllib.request
from pathlib import Path
from typing import Any

import numpy as np

COMMIT = "4d8774b4ce73d09956539ea2d1fe8bc7609650f6"
ARCHIVE = f"https://github.com/tisabe/jraph_MPEU/archive/{COMMIT}.tar.gz"


def locate(authors_dir: str | None, cache: str | None = None) -> Path:
    """The directory holding ``jraph_MPEU/`` and ``jraph_MPEU_configs/`` (downloaded if needed)."""
    if authors_dir:
        root = Path(authors_dir).expanduser().resolve()
    else:
        base = Path(cache or os.environ.get("HOWBIG_DATA_DIR")
                    or Path.home() / ".cache" / "howbig").expanduser()
        root = base / "authors" / f"jraph_MPEU-{COMMIT}"
        if not (root / "jraph_MPEU").is_dir():
            print(f"downloading {ARCHIVE} -> {root.parent}", flush=True)
            try:
                data = urllib.request.urlopen(ARCHIVE, timeout=60).read()
            except OSError as err:
                raise SystemExit(f"could not download the authors' code ({err}); download {ARCHIVE}"
                                 ", unpack it and pass --authors-dir DIR") from None
            root.parent.mkdir(parents=True, exist_ok=True)
            with tarfile.open(fileobj=io.BytesIO(data)) as tar:
                tar.extractall(root.parent, filter="data")
    if not (root / "jraph_MPEU" / "models" / "mpeu.py").is_file():
        raise SystemExit(f"{root} does not hold the authors' code (jraph_MPEU/models/mpeu.py); "
                         "pass the directory of an unpacked tisabe/jraph_MPEU checkout")
    return root


def import_modules(root: Path) -> dict[str, Any]:
    """Import their input pipeline, training module, model factory and default config."""
    try:
        import ml_collections  # noqa: F401  (their one extra dependency)
    except ImportError:
        raise SystemExit("the authors' code needs ml_collections: pip install ml-collections "
                         "(or pip install -e '.[authors]')") from None
    sys.path.insert(0, str(root))
    from jraph_MPEU import input_pipeline, train
    from jraph_MPEU.models.loading import create_model
    from jraph_MPEU_configs.default import get_config

    return {"input_pipeline": input_pipeline, "train": train, "create_model": create_model,
            "get_config": get_config}


def config(mods: dict[str, Any], latent: int, *, batch_size: int = 32, mp_steps: int = 3,
           n_species: int = 100, eval_every: int = 10**9) -> Any:
    """Their config for the MPEU that :func:`howbig.methods.models.mpeu.mpeu` builds."""
    c = mods["get_config"]()
    c.model_str, c.latent_size, c.message_passing_steps = "MPEU", latent, mp_steps
    c.max_atomic_number = n_species
    c.aggregation_message_type = c.aggregation_readout_type = "mean"
    c.batch_size, c.eval_every_steps = batch_size, eval_every
    c.checkpoint_every_steps, c.early_stopping_steps = 10**9, 10**9
    c.init_lr, c.transition_steps, c.decay_rate = 1e-3, 1000, 0.96
    return c


def to_ours(theirs: dict, mp_steps: int) -> dict:
    """Their MPEU parameters (haiku dict) in the layout of ours (same function).

    Their first edge-update layer acts on ``[h_sender, h_receiver, e]``; ours stores the three
    row blocks separately. Modules are matched by their creation order.
    """
    def find(prefix: str) -> list[str]:
        names = [n for n in theirs if n.split("/")[0].startswith(prefix)]
        return sorted(names, key=lambda n: (len(n.split("/")[0]), n))

    out: dict[str, dict] = {"embedding": {"w": theirs[find("node_embedding")[0]]["w"]}}
    edge0 = [n for n in find("edge_update") if n.endswith("_linear_0")]
    edge1 = [n for n in find("edge_update") if n.endswith("_linear_1")]
    msg_e0 = [n for n in find("message_edge_net") if n.endswith("_linear_0")]
    msg_e1 = [n for n in find("message_edge_net") if n.endswith("_linear_1")]
    msg_n = find("message_node_net")
    node0 = [n for n in find("node_update") if n.endswith("_linear_0")]
    node1 = [n for n in find("node_update") if n.endswith("_linear_1")]
    for t in range(mp_steps):
        w = theirs[edge0[t]]["w"]
        c = theirs[msg_n[t]]["w"].shape[0]
        out[f"edge_update_{t}_1_sender"] = {"w": w[:c]}
        out[f"edge_update_{t}_1_receiver"] = {"w": w[c:2 * c]}
        out[f"edge_update_{t}_1_edge"] = {"w": w[2 * c:]}
        out[f"edge_update_{t}_2"] = {"w": theirs[edge1[t]]["w"]}
        out[f"message_edge_{t}_1"] = {"w": theirs[msg_e0[t]]["w"]}
        out[f"message_edge_{t}_2"] = {"w": theirs[msg_e1[t]]["w"]}
        out[f"message_node_{t}"] = {"w": theirs[msg_n[t]]["w"]}
        out[f"node_update_{t}_1"] = {"w": theirs[node0[t]]["w"]}
        out[f"node_update_{t}_2"] = {"w": theirs[node1[t]]["w"]}
    readout = find("readout_node")
    out["readout_1"] = {"w": theirs[next(n for n in readout if n.endswith("_linear_0"))]["w"]}
    out["readout_2"] = {"w": theirs[next(n for n in readout if n.endswith("_linear_1"))]["w"]}
    return out


def as_their_batch(batch: Any) -> Any:
    """One of our padded batches as their model reads it: distances as (d, 0, 0) vectors."""
    edges = np.zeros((len(batch.edges), 3), np.float32)
    edges[:, 0] = batch.edges
    return batch._replace(edges=edges)


def their_graphs(mods: dict[str, Any], structures: list, targets: np.ndarray, k: int = 12
                 ) -> list:
    """Their per-structure graphs (their k-NN search), targets as globals, as their loop uses."""
    import jraph

    out = []
    for atoms, y in zip(structures, targets, strict=True):
        nodes, _, edges, senders, receivers = mods["input_pipeline"].get_graph_knearest(
            atoms.copy(), k)
        out.append(jraph.GraphsTuple(
            nodes=np.asarray(nodes), edges=np.asarray(edges, np.float32),
            senders=np.asarray(senders), receivers=np.asarray(receivers),
            n_node=np.asarray([len(nodes)]), n_edge=np.asarray([len(senders)]),
            globals=np.asarray([y], np.float32)))
    return out
