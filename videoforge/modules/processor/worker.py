"""The worker: boot, long-poll, process, delete, loop; in its own process or inside the all-in-one."""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from types import FrameType, TracebackType
from typing import Any

from flask import Flask

from videoforge import outbox, waiting
from videoforge.db import Database
from videoforge.modules import Module
from videoforge.modules.processor import leases, scaling, source_cache
from videoforge.modules.processor.service import JobContext, fail_dead_lettered, handle_message
from videoforge.ports.queue import Message, Queue, get_queue
from videoforge.webhooks.delivery import Dispatcher

log = logging.getLogger("videoforge.worker")

HOUSEKEEPING_SECONDS = 60
"""How often a worker looks for videos whose message died unseen."""
LEASE_PREFIX = "housekeeping:"
"""Lease names of the modules' housekeeping: `housekeeping:gallery`."""


class VisibilityExtender:
    """Keeps a message hidden from other workers while its job runs, extending its visibility timeout every third
    of it. (Not the worker's heartbeat: that is the registry row scaling.beat refreshes.)"""

    def __init__(self, queue: Queue, message: Message, visibility: int):
        self.queue, self.message, self.visibility = queue, message, visibility
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"extend-{message.id}", daemon=True)

    def __enter__(self) -> VisibilityExtender:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 trace: TracebackType | None) -> None:
        self._done.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._done.wait(max(1.0, self.visibility / 3)):
            try:
                self.queue.extend(self.message, self.visibility)
            except Exception as exc:  # noqa: BLE001 - the next extension tries again; the job goes on
                log.warning("could not extend message %s: %s", self.message.id, exc)


class Slot(threading.Thread):
    """One job at a time: receive, process while its message's visibility is extended, repeat."""

    def __init__(self, worker: Worker, number: int):
        super().__init__(name=f"worker-slot-{number}", daemon=True)
        self.worker = worker
        self.busy = False
        self.retired = False

    def run(self) -> None:
        worker, failures = self.worker, 0
        while not worker.stopping.is_set() and not self.retired:
            try:
                messages = worker.queue.receive(max_messages=1, wait_seconds=worker.poll_seconds,
                                                visibility_timeout=worker.visibility)
                failures = 0
            except Exception as exc:  # noqa: BLE001 - the database or SQS is away: wait and try again
                failures += 1
                log.warning("receive failed (%d in a row): %s", failures, exc)
                worker.stopping.wait(min(30.0, 2.0 ** failures))
                continue
            if not messages:
                if worker.burst:
                    return
                continue
            self.busy = True
            try:
                with VisibilityExtender(worker.queue, messages[0], worker.visibility):
                    outcome = handle_message(worker.context, messages[0])
                worker.outcomes.append(outcome)
            except Exception:  # settling the message failed (logged with its trace); visibility expiry redelivers it
                log.exception("job %s could not be settled", messages[0].id)
            finally:
                self.busy = False


class Worker:
    """A worker process (or the all-in-one's pool): slots, a registry row, signals and scaling."""

    def __init__(self, app: Flask, concurrency: int | None = None, burst: bool = False, in_process: bool = False):
        from videoforge.ports.storage import get_storage

        cfg = app.config
        self.app = app
        self.queue = get_queue(app)
        self.db: Database = app.extensions["videoforge.db"]
        self.burst, self.in_process = burst, in_process
        self.minimum = int(cfg["WORKER_MIN"]) if in_process else max(1, int(concurrency or cfg["WORKER_CONCURRENCY"]))
        self.maximum = int(cfg["WORKER_MAX"]) if in_process else self.minimum
        self.visibility = int(cfg["QUEUE_VISIBILITY_TIMEOUT"])
        self.poll_seconds = float(cfg["WORKER_POLL_SECONDS"])
        self.heartbeat_seconds = float(cfg["WORKER_HEARTBEAT_SECONDS"])
        self.stopping = threading.Event()
        self.slots: list[Slot] = []
        self.outcomes: list[str] = []
        self.id = scaling.new_worker_id("pool" if in_process else "worker")
        self.context = JobContext(db=self.db, queue=self.queue, storage=get_storage(app), config=dict(cfg),
                                  worker=self.id)
        self.metrics = scaling.CloudWatchPublisher.from_config(dict(cfg), self.queue)
        self._numbers = 0
        self._signals = 0
        self._thread: threading.Thread | None = None
        self._chores: threading.Thread | None = None

    # --- lifecycle ----------------------------------------------------------------------------

    def run(self) -> list[str]:
        """Work until stopped (or, in burst mode, until the queue is empty); returns the job outcomes."""
        log.info("worker %s starting: %d slot(s)%s", self.id, self.minimum, ", burst" if self.burst else "")
        for _ in range(self.minimum):
            self._add_slot()
        webhooks = Dispatcher(self.db, dict(self.app.config), self.stopping)  # deliveries go where jobs run
        webhooks.start()
        last = {"beat": 0.0, "scale": time.monotonic(), "metrics": 0.0, "housekeeping": 0.0,
                "modules": float("-inf")}  # at start too: the lease keeps restarts from repeating it
        modules_seconds = float(self.app.config["MODULE_HOUSEKEEPING_SECONDS"])
        try:
            while any(s.is_alive() for s in self.slots) or (self.in_process and not self.stopping.is_set()):
                self._every(last, "beat", self.heartbeat_seconds, self._beat)
                self._every(last, "housekeeping", HOUSEKEEPING_SECONDS, self._housekeeping)
                if modules_seconds > 0:
                    self._every(last, "modules", modules_seconds, self._module_housekeeping)
                if self.metrics is not None:
                    self._every(last, "metrics", float(self.app.config["CLOUDWATCH_PUBLISH_SECONDS"]),
                                self._publish_metrics)
                if self.maximum > self.minimum:
                    self._every(last, "scale", float(self.app.config["WORKER_SCALE_SECONDS"]), self._scale)
                time.sleep(0.2)
        finally:
            self.stopping.set()
            for slot in self.slots:
                slot.join()
            if self._chores is not None:  # a burst waits for its pass; a stop cuts it short (it resumes anywhere)
                self._chores.join(None if self.burst else 5.0)
            webhooks.join(float(self.app.config["WEBHOOK_TIMEOUT"]) + 1)
            self._safely(scaling.forget, self.db, self.id)
            log.info("worker %s stopped", self.id)
        return self.outcomes

    def start_background(self) -> Worker:
        """Run in a daemon thread (the all-in-one); stop() or process exit ends it."""
        self._thread = threading.Thread(target=self.run, name="worker-pool", daemon=True)
        self._thread.start()
        return self

    def stop(self, hand_back: bool = False, timeout: float | None = None) -> None:
        """Take no more jobs; with hand_back, running jobs stop and their messages go back at once."""
        self.stopping.set()
        if hand_back:
            self.context.cancel.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def install_signal_handlers(self) -> None:
        """First SIGTERM/SIGINT: finish the running jobs (hand them back after the grace period); second: hand them
        back now."""
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self._on_signal)

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        self._signals += 1
        if self._signals == 1:
            grace = float(self.app.config["WORKER_STOP_GRACE_SECONDS"])
            log.info("signal %d: finishing the running job (at most %g s), then stopping", signum, grace)
            self.stopping.set()
            timer = threading.Timer(grace, self.context.cancel.set)
            timer.daemon = True
            timer.start()
        else:
            log.info("signal %d again: handing the running job back and stopping", signum)
            self.context.cancel.set()

    # --- periodic work ------------------------------------------------------------------------

    def _every(self, last: dict[str, float], name: str, seconds: float, action: Callable[[], None]) -> None:
        now = time.monotonic()
        if now - last[name] >= seconds:
            last[name] = now
            self._safely(action)

    @staticmethod
    def _safely(action: Callable[..., None], *args: Any) -> None:
        try:
            action(*args)
        except Exception as exc:  # noqa: BLE001 - housekeeping must never stop the jobs
            log.warning("%s failed: %s", getattr(action, "__name__", action), exc)

    def _live_slots(self) -> list[Slot]:
        return [s for s in self.slots if s.is_alive() and not s.retired]

    def _beat(self) -> None:
        slots = self._live_slots()
        scaling.beat(self.db, self.id, len(slots), sum(s.busy for s in slots), self.in_process)

    def _housekeeping(self) -> None:
        if not self.queue.transactional:
            # SQS: a job whose send failed right after confirm waits in the outbox; deliver it now.
            relayed = outbox.relay_pending(self.db, self.queue)
            if relayed.sent:
                log.info("relayed %d job(s) from the outbox", relayed.sent)
        failed = fail_dead_lettered(self.db, self.queue)
        if failed:
            log.warning("%d video(s) failed: their job ran out of attempts while no worker was watching", failed)
        source_cache.sweep(dict(self.app.config))  # an idle worker keeps no upload for long

    def _module_housekeeping(self) -> None:
        """Start a pass over the modules' housekeeping in its own thread, unless the last one still runs: a long
        scan of the store must not hold up the heartbeat, the metrics or the scaling of this loop."""
        if self._chores is not None and self._chores.is_alive():
            return
        self._chores = threading.Thread(target=self._run_module_housekeeping, name="module-housekeeping", daemon=True)
        self._chores.start()

    def _run_module_housekeeping(self) -> None:
        """Each enabled module's housekeeping (what its Module declares; the processor knows no module's code), by
        the one process of all that holds its lease this interval."""
        interval = float(self.app.config["MODULE_HOUSEKEEPING_SECONDS"])
        # A little shorter than the interval, so the holder's own next tick finds it run out despite clock drift.
        lease = interval - min(interval / 10, 30.0)
        modules: dict[str, Module] = self.app.extensions["videoforge.modules"]
        for module in modules.values():
            if module.housekeeping is not None and not self.stopping.is_set():
                self._safely(self._housekeep, module.name, module.housekeeping, lease)

    def _housekeep(self, name: str, housekeeping: Callable[[Flask], Any], lease: float) -> None:
        if not leases.claim(self.db, LEASE_PREFIX + name, self.id, lease):
            return  # another worker has it this interval
        started = time.monotonic()
        try:
            with self.app.app_context():
                result = housekeeping(self.app)
        except Exception:  # logged with its trace; the lease stands, so the next try is next interval
            log.exception("%s housekeeping failed", name)
            return
        log.info("%s housekeeping (%.1f s): %s", name, time.monotonic() - started, result)

    def _publish_metrics(self) -> None:
        if self.metrics is None:
            return
        with self.db.session() as session:
            workers = waiting.live_worker_slots(session, self.heartbeat_seconds)
        self.metrics.publish(self.queue.depth().visible, workers)

    def _scale(self) -> None:
        if self.stopping.is_set():
            return
        slots = self._live_slots()
        busy = sum(s.busy for s in slots)
        wanted = scaling.desired_slots(self.queue.depth().visible, busy,
                                       float(self.app.config["WORKER_TARGET_BACKLOG"]), self.minimum, self.maximum)
        if wanted > len(slots):
            log.info("backlog: %d -> %d worker slots", len(slots), wanted)
            for _ in range(wanted - len(slots)):
                self._add_slot()
        elif wanted < len(slots):
            idle = [s for s in slots if not s.busy][: len(slots) - wanted]
            for slot in idle:
                slot.retired = True  # it leaves after its current long poll
            if idle:
                log.info("backlog: %d -> %d worker slots", len(slots), len(slots) - len(idle))
        self.slots = [s for s in self.slots if s.is_alive()]

    def _add_slot(self) -> None:
        self._numbers += 1
        slot = Slot(self, self._numbers)
        self.slots.append(slot)
        slot.start()


def run_worker(app: Flask, burst: bool = False, concurrency: int | None = None) -> list[str]:
    """`videoforge worker` and `python -m entrypoints.worker`: a foreground worker with signal handling."""
    worker = Worker(app, concurrency=concurrency, burst=burst)
    worker.install_signal_handlers()
    return worker.run()


POOL_EXTENSION = "videoforge.worker_pool"


def start_in_process_workers(app: Flask) -> Worker:
    """Start the all-in-one's worker pool (once per app); it hands its jobs back when the process exits."""
    import atexit

    with _pool_lock:
        pool = app.extensions.get(POOL_EXTENSION)
        if pool is None:
            pool = app.extensions[POOL_EXTENSION] = Worker(app, in_process=True).start_background()
            atexit.register(pool.stop, hand_back=True, timeout=10)
    return pool


_pool_lock = threading.Lock()


def init_in_process_workers(app: Flask) -> None:
    """Module setup: in the all-in-one, start workers when the app serves, never for other CLI commands.

    `videoforge run` / `flask run` start them at once (in the reloader's serving child only); any
    other server starts them on the first request. Tests (TESTING) start them explicitly.
    """
    if not app.config.get("WORKER_IN_PROCESS") or app.config.get("TESTING"):
        return
    if _serving_from_cli():
        start_in_process_workers(app)
        return
    started: list[bool] = []

    @app.before_request
    def _start_workers_once() -> None:
        if not started:
            started.append(True)
            start_in_process_workers(app)


def _serving_from_cli() -> bool:
    import os

    import click
    from flask.helpers import get_debug_flag

    ctx = click.get_current_context(silent=True)
    if ctx is None or ctx.info_name != "run":
        return False
    reload = ctx.params.get("reload")
    reloading = reload or (reload is None and get_debug_flag())
    # With the reloader, the first process only watches files; its child (WERKZEUG_RUN_MAIN) serves.
    return not reloading or os.environ.get("WERKZEUG_RUN_MAIN") == "true"
