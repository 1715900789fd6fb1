"""Admin HTTP API: queue depth, dead letters, redrive and retry."""

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint, abort

from videoforge.identity import require_group
from videoforge.modules.processor import scaling, service
from videoforge.modules.processor.schemas import (DeadLetterSchema, QueueStatusSchema, RedriveArgsSchema,
                                                  RedriveResultSchema, RetriedVideoSchema, RetryArgsSchema)
from videoforge.ports.queue import get_queue

blp = Blueprint("admin", __name__, description="Operators: queue, dead letters, retries")


def _db():
    return current_app.extensions["videoforge.db"]


@blp.route("/queue")
class QueueStatus(MethodView):
    @require_group("admin")
    @blp.response(200, QueueStatusSchema)
    def get(self):
        """Queue depth, jobs in flight, dead letters and live workers."""
        depth = get_queue().depth()
        with _db().session() as session:
            rows = scaling.live_workers(session, float(current_app.config["WORKER_HEARTBEAT_SECONDS"]))
            processes = [{"id": w.id, "host": w.host, "pid": w.pid, "concurrency": w.concurrency, "busy": w.busy,
                          "in_process": w.in_process, "seen_at": w.seen_at.isoformat()} for w in rows]
        workers = sum(w["concurrency"] for w in processes)
        return {"depth": depth.visible, "in_flight": depth.in_flight, "dead_letters": depth.dead, "workers": workers,
                "backlog_per_worker": scaling.backlog_per_worker(depth.visible, workers),
                "worker_processes": processes}


@blp.route("/dead-letters")
class DeadLetters(MethodView):
    @require_group("admin")
    @blp.response(200, DeadLetterSchema(many=True))
    def get(self):
        """Jobs that ran out of attempts, with their video and last error."""
        return service.dead_letters(_db(), get_queue())


@blp.route("/dead-letters/redrive")
class Redrive(MethodView):
    @require_group("admin")
    @blp.arguments(RedriveArgsSchema, required=False)
    @blp.response(200, RedriveResultSchema)
    def post(self, args):
        """Send dead letters (all, or the given ids) back to the queue."""
        ids = (args or {}).get("ids")
        return {"redriven": service.redrive_dead_letters(_db(), get_queue(), ids)}


@blp.route("/videos/<video_id>/retry")
class RetryVideo(MethodView):
    @require_group("admin")
    @blp.arguments(RetryArgsSchema, required=False)
    @blp.response(202, RetriedVideoSchema)
    def post(self, args, video_id):
        """Queue a new transcode for a failed video."""
        try:
            video = service.retry_video(_db(), get_queue(), video_id, force=bool((args or {}).get("force")))
        except LookupError:
            abort(404, message=f"No video {video_id}.")
        except service.CannotRetry as exc:
            abort(409, message=f"Cannot retry: {exc}.")
        return {"id": video.id, "status": video.status}
