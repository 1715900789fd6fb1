"""Workers run the enabled modules' housekeeping (the gallery's: stale uploads, late upload bytes), one process of all
per interval under a lease; a housekeeping that fails is logged and the worker goes on. SQLite and PostgreSQL."""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from tests.modules.processor.jobs import start_worker, wait_for
from videoforge.erasure import erase_again_later
from videoforge.models import Lease, PendingErasure, User, Video, new_id, utcnow
from videoforge.modules import Module
from videoforge.modules.processor import leases
from videoforge.modules.processor.worker import LEASE_PREFIX, Worker, start_in_process_workers
from videoforge.ports.storage import get_storage

ROOT = Path(__file__).resolve().parents[3]


# --- what a gallery housekeeping pass has to do --------------------------------------------------------------------


class Leftovers:
    """A stale upload (with its bytes), bytes PUT after an erasure whose follow-up is due, and what must stay."""

    def __init__(self, app, tmp_path: Path):
        self.app, self.storage = app, get_storage(app)
        data = tmp_path / "bytes"
        data.write_bytes(b"v" * 100)
        db = app.extensions["videoforge.db"]
        with db.session() as session:
            user = User(sub=new_id(), email=f"{new_id()[:8]}@example.test")
            session.add(user)
            session.flush()
            self.stale, self.fresh, erased = new_id(), new_id(), new_id()
            self.stale_folder = f"uploads/{user.id}/{self.stale}/"
            self.stale_key = f"uploads/{user.id}/{self.stale}/source"
            self.fresh_key = f"uploads/{user.id}/{self.fresh}/source"
            self.late_key = f"uploads/{user.id}/{erased}/source"
            for video_id, key, age in ((self.stale, self.stale_key, 2), (self.fresh, self.fresh_key, 0)):
                self.storage.upload_file(key, str(data), "video/mp4")
                session.add(Video(id=video_id, owner_id=user.id, title="t", status="awaiting_upload",
                                  source_key=key, source_size=100, filename="t.mp4",
                                  created_at=utcnow() - timedelta(days=age)))
            # A video erased earlier; its upload URL then stored bytes again, and the follow-up is now due.
            erase_again_later(session, f"uploads/{user.id}/{erased}/", lifetime=0, now=utcnow() - timedelta(days=1))
        self.storage.upload_file(self.late_key, str(data), "video/mp4")

    def videos(self) -> set[str]:
        with self.app.extensions["videoforge.db"].session() as session:
            return set(session.scalars(select(Video.id)))

    def follow_ups(self, due: bool = True) -> list[str]:
        """The prefixes of the follow-ups due now (or of those not due yet)."""
        now = utcnow()
        with self.app.extensions["videoforge.db"].session() as session:
            when = PendingErasure.due_at <= now if due else PendingErasure.due_at > now
            return list(session.scalars(select(PendingErasure.prefix).where(when)))

    def left(self) -> bool:
        """Whether any of it is still there."""
        return (self.stale in self.videos() or bool(self.follow_ups()) or self.storage.size_of(self.stale_key) is not None
                or self.storage.size_of(self.late_key) is not None)

    def assert_cleaned(self) -> None:
        assert self.videos() == {self.fresh} and self.follow_ups() == []
        # The stale upload's URL may still be valid: its folder is erased again once it has expired (two passes at
        # once may both say so: erasing twice is harmless).
        assert set(self.follow_ups(due=False)) == {self.stale_folder}
        assert self.storage.size_of(self.stale_key) is None and self.storage.size_of(self.late_key) is None
        assert self.storage.size_of(self.fresh_key) == 100  # an upload within its TTL stays

    def assert_untouched(self) -> None:
        assert self.videos() == {self.stale, self.fresh} and len(self.follow_ups()) == 1
        assert self.follow_ups(due=False) == []
        assert self.storage.size_of(self.stale_key) == 100 and self.storage.size_of(self.late_key) == 100


def lease_holders(app) -> dict[str, str]:
    with app.extensions["videoforge.db"].session() as session:
        return {lease.name: lease.holder for lease in session.scalars(select(Lease))}


class Counted:
    """A module's housekeeping that counts its runs (and can take its time, or fail)."""

    def __init__(self, seconds: float = 0.0, error: str = ""):
        self.runs, self.seconds, self.error = 0, seconds, error
        self._lock = threading.Lock()

    def __call__(self, app) -> str:
        with self._lock:
            self.runs += 1
        threading.Event().wait(self.seconds)
        if self.error:
            raise RuntimeError(self.error)
        return "counted"


def with_modules(app, *modules: Module) -> None:
    app.extensions["videoforge.modules"] = {**app.extensions["videoforge.modules"], **{m.name: m for m in modules}}


# --- the topologies ------------------------------------------------------------------------------------------------


def test_the_all_in_one_s_worker_pool_cleans_up_without_the_cli(app, tmp_path):
    app.config["MODULE_HOUSEKEEPING_SECONDS"] = 0.5
    leftovers = Leftovers(app, tmp_path)
    pool = start_in_process_workers(app)
    try:
        wait_for(lambda: not leftovers.left(), 20, "the in-process pool's housekeeping")
    finally:
        pool.stop(hand_back=True, timeout=30)
    leftovers.assert_cleaned()
    assert lease_holders(app)[LEASE_PREFIX + "gallery"] == pool.id


def test_a_worker_process_with_the_gallery_enabled_cleans_up_and_one_without_it_does_not(app, tmp_path):
    """`videoforge worker` as compose and the ASG start it (VIDEOFORGE_MODULES from the environment)."""
    leftovers = Leftovers(app, tmp_path)
    alone = start_worker(app, "--burst", MODULES="processor", MODULE_HOUSEKEEPING_SECONDS=0.1)
    output, _ = alone.communicate(timeout=120)
    assert alone.returncode == 0, output.decode()[-3000:]
    leftovers.assert_untouched()
    assert lease_holders(app) == {}  # the processor has no housekeeping of its own

    both = start_worker(app, "--burst", MODULES="processor,gallery", MODULE_HOUSEKEEPING_SECONDS=0.1)
    output, _ = both.communicate(timeout=120)
    assert both.returncode == 0, output.decode()[-3000:]
    leftovers.assert_cleaned()
    assert "gallery housekeeping" in output.decode() and "removed 1 stale uploads" in output.decode()
    assert list(lease_holders(app)) == [LEASE_PREFIX + "gallery"]


def test_module_housekeeping_seconds_zero_turns_it_off(app, tmp_path):
    app.config["MODULE_HOUSEKEEPING_SECONDS"] = 0
    leftovers = Leftovers(app, tmp_path)
    counted = Counted()
    with_modules(app, Module(name="counted", housekeeping=counted))
    Worker(app, burst=True).run()
    leftovers.assert_untouched()
    assert counted.runs == 0 and lease_holders(app) == {}


def test_a_failing_housekeeping_is_logged_and_the_worker_goes_on(app, caplog):
    app.config["MODULE_HOUSEKEEPING_SECONDS"] = 0.3
    broken, counted = Counted(error="the store is away"), Counted()
    # Ahead of the other, so a failure that stopped the pass would starve it.
    app.extensions["videoforge.modules"] = {"broken": Module(name="broken", housekeeping=broken),
                                            "counted": Module(name="counted", housekeeping=counted)}
    worker = Worker(app, in_process=True).start_background()
    try:
        with caplog.at_level(logging.INFO, logger="videoforge.worker"):
            wait_for(lambda: broken.runs >= 3 and counted.runs >= 3, 15, "three passes")
    finally:
        worker.stop(timeout=30)
    failures = [r for r in caplog.records if r.getMessage() == "broken housekeeping failed"]
    assert failures and failures[0].exc_info[1].args == ("the store is away",)  # with its trace
    assert any(r.getMessage().startswith("counted housekeeping (") for r in caplog.records)


# --- the lease -----------------------------------------------------------------------------------------------------


def test_two_workers_at_once_run_a_module_s_housekeeping_once_per_interval(app):
    app.config["MODULE_HOUSEKEEPING_SECONDS"] = 60
    counted = Counted(seconds=0.5)  # still running while the other worker ticks
    with_modules(app, Module(name="counted", housekeeping=counted))

    def both_at_once() -> None:
        workers = [Worker(app, burst=True) for _ in range(2)]
        for number, worker in enumerate(workers):
            worker.id += f"-{number}"  # two processes' registry rows, though one process runs both
        threads = [threading.Thread(target=w.run) for w in workers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)

    both_at_once()
    assert counted.runs == 1
    both_at_once()  # the same interval: the lease still stands
    assert counted.runs == 1
    with app.extensions["videoforge.db"].session() as session:  # the interval has passed
        session.execute(update(Lease).values(until=utcnow() - timedelta(seconds=1)))
    both_at_once()
    assert counted.runs == 2


def test_a_lease_goes_to_one_claimant_and_is_taken_again_once_run_out(app):
    db, name, now = app.extensions["videoforge.db"], "housekeeping:test", utcnow()
    barrier, won = threading.Barrier(8), []

    def claimant(number: int) -> None:
        barrier.wait()
        if leases.claim(db, name, f"worker-{number}", 60, now=now):
            won.append(number)

    threads = [threading.Thread(target=claimant, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(won) == 1  # the first claim ever: one INSERT wins
    assert lease_holders(app) == {name: f"worker-{won[0]}"}
    assert not leases.claim(db, name, "late", 60, now=now + timedelta(seconds=59))
    claims = [leases.claim(db, name, f"next-{n}", 60, now=now + timedelta(seconds=60)) for n in range(3)]
    assert claims == [True, False, False] and lease_holders(app) == {name: "next-0"}  # run out: one UPDATE wins


# --- the gallery's pass --------------------------------------------------------------------------------------------


# The pass that comes second finds a stale row gone under it: SQLAlchemy says so, and nothing else happens.
@pytest.mark.filterwarnings("ignore:DELETE statement on table 'videos' expected to delete 1 row")
def test_two_gallery_passes_at_once_are_harmless(app, tmp_path):
    """Overlapping passes (a lease run out under a long pass, or an operator's `uploads cleanup`) both succeed and
    clean up between them, and a pass after them finds nothing left to do."""
    from videoforge.modules.gallery.housekeeping import clean_up

    leftovers = Leftovers(app, tmp_path)
    barrier, errors = threading.Barrier(2), []

    def one_pass() -> None:
        barrier.wait()
        try:
            with app.app_context():
                clean_up(app)
        except Exception as exc:  # noqa: BLE001 - collected, to be shown by the assertion
            errors.append(exc)

    threads = [threading.Thread(target=one_pass) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    with app.app_context():
        report = clean_up(app)
    leftovers.assert_cleaned()
    assert (report.removed, report.erased, report.failed) == (0, 0, 0)


def test_a_gallery_process_never_loads_the_housekeeping(tmp_path):
    """A gallery Lambda builds its app with the gallery's CLI declared: the housekeeping's code stays unloaded."""
    code = (
        "import sys\n"
        "from videoforge import create_app\n"
        f"app = create_app(MODULES=['gallery'], DATABASE_URL='sqlite:///{tmp_path}/lean.db', "
        f"INSTANCE_PATH='{tmp_path}/instance', LOG_LEVEL='WARNING')\n"
        "assert app.extensions['videoforge.modules']['gallery'].housekeeping is not None\n"
        "print(sorted(m for m in sys.modules if m.endswith(('.housekeeping', '.leases', '.gallery.cli'))))\n"
    )
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip() == "['videoforge.modules.gallery.cli']"  # its commands, not what they run


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_uploads_cleanup_is_the_same_pass(app, tmp_path):
    leftovers = Leftovers(app, tmp_path)
    result = app.test_cli_runner().invoke(args=["uploads", "cleanup"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == ("removed 1 stale uploads and 0 stale replacing files; pruned 0 relayed outbox "
                                     "rows; erased 1 upload folders again after their URLs expired")
    leftovers.assert_cleaned()
    assert lease_holders(app) == {}  # an operator's run takes no lease: it runs when asked
