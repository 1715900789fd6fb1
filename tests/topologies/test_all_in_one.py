"""All-in-one topology: `videoforge run` alone (SQLite, local storage, the SQL queue, an in-process worker)
passes the same end-to-end scenario as the split topology."""

from __future__ import annotations

import pytest

from tests.servers import free_ports
from tests.topologies.harness import BIN, Service, Topology, base_env
from tests.topologies.scenario import run_scenario

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


@pytest.fixture(scope="module")
def all_in_one(tmp_path_factory):
    """One process, every module, nothing configured but where its instance folder is."""
    (port,) = free_ports(1)
    url = f"http://127.0.0.1:{port}"
    env = base_env(INSTANCE_PATH=str(tmp_path_factory.mktemp("all-in-one")), PUBLIC_URL=url, LOG_LEVEL="INFO",
                   WORKER_POLL_SECONDS="1")
    server = Service("all-in-one", [str(BIN / "videoforge"), "run", "--host", "127.0.0.1", "--port", str(port)],
                     env, port)
    with Topology() as topology:
        topology.add(server).start()
        server.wait_ready()
        yield server
    topology.cleanup_logs()


def test_upload_transcode_and_play_in_one_process(all_in_one, tmp_path):
    run_scenario(all_in_one.url, tmp_path, logs={"all-in-one": all_in_one})
