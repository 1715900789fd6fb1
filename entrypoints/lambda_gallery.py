"""Gallery on AWS Lambda (Function URL, HTTP API or ALB): `entrypoints.lambda_gallery.handler`."""

from videoforge.app import create_app
from videoforge.lambda_adapter import make_handler

# Lambdas never migrate: many cold starts at once would race; the deploy runs `videoforge db upgrade`.
handler = make_handler(create_app(MODULES=["gallery"], AUTO_MIGRATE=False, WORKER_IN_PROCESS=False))
