"""Admin API shapes: queue status, dead letters, redrive and retry."""

from marshmallow import Schema, fields


class QueueStatusSchema(Schema):
    depth = fields.Integer(required=True, metadata={"description": "Jobs waiting (visible)."})
    in_flight = fields.Integer(required=True, metadata={"description": "Jobs being processed or waiting for a retry."})
    dead_letters = fields.Integer(required=True, metadata={"description": "Jobs that ran out of attempts."})
    workers = fields.Integer(required=True, metadata={"description": "Worker slots (jobs at once) of live workers."})
    backlog_per_worker = fields.Float(required=True, metadata={"description": "depth / workers: the scaling signal."})
    worker_processes = fields.List(fields.Dict(), required=True,
                                   metadata={"description": "Live worker processes: id, host, concurrency, busy."})


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
