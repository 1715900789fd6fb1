"""Admin HTTP API: queue depth, dead letters, redrive and retry."""

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from videoforge.identity import require_group
from videoforge.modules.processor import service
from videoforge.modules.processor.schemas import (
    DeadLetterSchema,
    QueueStatusSchema,
    RedriveArgsSchema,
    RedriveResultSchema,
    RetriedVideoSchema,
    RetryArgsSchema,
)
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
        return service.queue_status(_db(), get_queue(), current_app.config)


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
        return service.retry_video(_db(), get_queue(), video_id, force=bool((args or {}).get("force")))
