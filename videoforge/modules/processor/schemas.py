"""Admin API shapes: queue status, dead letters, redrive and retry."""

from marshmallow import Schema, fields


class WorkerProcessSchema(Schema):
    id = fields.String(required=True, metadata={"description": "host:pid:kind"})
    host = fields.String(required=True)
    pid = fields.Integer(required=True)
    concurrency = fields.Integer(required=True, metadata={"description": "Jobs it runs at once (its slots)."})
    busy = fields.Integer(required=True, metadata={"description": "Slots running a job now."})
    in_process = fields.Boolean(required=True, metadata={"description": "Inside a web process (all-in-one)."})
    seen_at = fields.DateTime(required=True, metadata={"description": "Its last heartbeat."})


class QueueStatusSchema(Schema):
    depth = fields.Integer(required=True, metadata={"description": "Jobs waiting (visible)."})
    in_flight = fields.Integer(required=True, metadata={"description": "Jobs being processed or waiting for a retry."})
    dead_letters = fields.Integer(required=True, metadata={"description": "Jobs that ran out of attempts."})
    workers = fields.Integer(required=True, metadata={"description": "Worker slots (jobs at once) of live workers."})
    backlog_per_worker = fields.Float(required=True, metadata={"description": "depth / workers: the scaling signal."})
    worker_processes = fields.List(fields.Nested(WorkerProcessSchema), required=True,
                                   metadata={"description": "Live worker processes, oldest first."})


class DeadLetterSchema(Schema):
    id = fields.String(required=True)
    video_id = fields.String(allow_none=True)
    receive_count = fields.Integer(required=True)
    error = fields.String(allow_none=True)


class RedriveArgsSchema(Schema):
    ids = fields.List(fields.String(), load_default=None,
                      metadata={"description": "Dead letter ids to redrive; omit for all."})


class RedriveResultSchema(Schema):
    redriven = fields.Integer(required=True)


class RetryArgsSchema(Schema):
    force = fields.Boolean(load_default=False, metadata={"description": "Transcode again even if not failed."})


class RetriedVideoSchema(Schema):
    id = fields.String(required=True)
    status = fields.String(required=True)
