"""NAS workers on a real PostgreSQL server: shared study, heartbeats, a worker killed mid-trial.

The server is pgserver's PostgreSQL binaries (from PyPI, no system install), started in a
temporary directory and listening on a unix socket only. Run as root (as in CI), pgserver runs
the server as a system user ``pgserver`` that it creates (its documented behaviour).
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import optuna
import pytest

from howbig.chapters.infrastructure.nas import create_study, toy_objective

pgserver = pytest.importorskip("pgserver", reason="pgserver is pinned in requirements.txt")

optuna.logging.set_verbosity(optuna.logging.WARNING)
State = optuna.trial.TrialState


@pytest.fixture(scope="module")
def postgres_url(tmp_path_factory) -> str:
    """A fresh PostgreSQL server for this module; yields its ``postgresql://`` URL."""
    server = pgserver.get_server(tmp_path_factory.mktemp("pgdata"), cleanup_mode="delete")
    try:
        url = server.get_uri()
        assert url.startswith("postgresql://")
        yield url
    finally:
        server.cleanup()


def _wait_for(condition, what: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


@pytest.mark.slow
def test_killed_worker_trial_fails_and_is_retried_while_the_other_completes(postgres_url):
    name = "mpeu-toy"
    create_study(name, postgres_url, heartbeat=1, grace=2)  # the schema, once
    worker = [sys.executable, "-m", "howbig.cli", "nas", "worker", "--storage", postgres_url,
              "--study", name, "--heartbeat", "1", "--grace", "2"]
    study = optuna.load_study(study_name=name, storage=postgres_url)

    def trials(*states: State) -> list[optuna.trial.FrozenTrial]:
        return study.get_trials(deepcopy=False, states=states or None)

    # The victim's trial "trains" for 5 minutes: it is certainly mid-trial when killed.
    victim = subprocess.Popen([*worker, "--n-trials", "1", "--toy", "300", "--seed", "1"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    survivor = None
    try:
        def victim_running() -> list[optuna.trial.FrozenTrial]:
            return [t for t in trials(State.RUNNING) if "worker" in t.user_attrs]

        _wait_for(victim_running, "the victim's trial to start")
        (doomed,) = victim_running()
        assert doomed.user_attrs["worker"].endswith(f":{victim.pid}")
        survivor = subprocess.Popen(
            [*worker, "--n-trials", "16", "--toy", "0.5", "--seed", "2"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        _wait_for(lambda: trials(State.COMPLETE), "the survivor's first trial")
        victim.send_signal(signal.SIGKILL)  # no clean-up, no last heartbeat: as a lost node
        victim.wait(timeout=30)
        _out, err = survivor.communicate(timeout=300)
        assert survivor.returncode == 0, err
    finally:
        for proc in (victim, survivor):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait()

    everything = trials()
    numbers = sorted(t.number for t in everything)
    assert numbers == list(range(len(everything)))  # each trial recorded once, no gaps
    assert len(everything) == 17  # the victim's one + the survivor's sixteen
    failed = trials(State.FAIL)
    assert [t.number for t in failed] == [doomed.number]  # the heartbeat went stale: FAIL
    assert set(failed[0].params) == {"mp_steps", "latent_size", "learning_rate", "batch_size"}
    complete = trials(State.COMPLETE)
    assert len(complete) == 16 and not trials(State.RUNNING, State.WAITING)
    assert all(t.user_attrs["worker"].endswith(f":{survivor.pid}") for t in complete)
    # Nothing lost: the dead worker's configuration was queued again and completed.
    (retry,) = [t for t in complete if t.system_attrs.get("failed_trial") == doomed.number]
    assert retry.params == failed[0].params
    for t in complete:  # every stored value belongs to its stored parameters
        assert t.value == pytest.approx(toy_objective(optuna.trial.FixedTrial(t.params)))


@pytest.mark.slow
def test_worker_command_joins_a_postgres_study(postgres_url):
    """Two quick workers at once, nothing killed: all trials complete, from both workers."""
    name = "mpeu-pair"
    create_study(name, postgres_url)
    cmd = [sys.executable, "-m", "howbig.cli", "nas", "worker", "--storage", postgres_url,
           "--study", name, "--n-trials", "3", "--toy", "0"]
    procs = [subprocess.Popen([*cmd, "--seed", str(s)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
             for s in (1, 2)]
    for proc in procs:
        _out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
    study = optuna.load_study(study_name=name, storage=postgres_url)
    assert sorted(t.number for t in study.trials) == list(range(6))
    assert all(t.state == State.COMPLETE for t in study.trials)
    assert len({t.user_attrs["worker"] for t in study.trials}) == 2
