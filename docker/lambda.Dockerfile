# VideoForge gallery and streaming Lambdas on the AWS Lambda Python base image (container-image functions).
# Build one target per function from the repository root:
#   docker build -f docker/lambda.Dockerfile --target gallery   -t videoforge/gallery .
#   docker build -f docker/lambda.Dockerfile --target streaming -t videoforge/streaming .
# Lambda runs the code as its own unprivileged user; the task root is read-only at run time and /tmp is the one
# writable place, so the instance folder lives there (with local sign-in, give AUTH_JWKS_URL: a Lambda verifies
# the gateway's tokens, it never signs its own).
# Python 3.12 base: SnapStart (ansible's aws_lambda role turns it on) needs a base image whose runtime runs the
# before-snapshot and after-restore hooks (videoforge/snapstart.py), which AWS's Python images do from 3.12 on.

FROM public.ecr.aws/lambda/python:3.12 AS wheel
WORKDIR /src
# Dependencies from setup.cfg alone first: a code change then rebuilds only the small VideoForge wheel.
COPY setup.cfg ./
RUN python -c "import configparser; c = configparser.ConfigParser(); c.read('setup.cfg'); print(c['options']['install_requires'])" > requirements.txt \
 && pip wheel --no-cache-dir --wheel-dir /deps -r requirements.txt
COPY pyproject.toml README.md ./
COPY videoforge ./videoforge
COPY entrypoints ./entrypoints
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /app .

FROM public.ecr.aws/lambda/python:3.12 AS runtime
ENV VIDEOFORGE_AUTO_MIGRATE=false VIDEOFORGE_WORKER_IN_PROCESS=false VIDEOFORGE_LOG_FORMAT=json \
    VIDEOFORGE_INSTANCE_PATH=/tmp/videoforge
COPY --from=wheel /deps /deps
RUN pip install --no-cache-dir --no-index --target "${LAMBDA_TASK_ROOT}" /deps/*.whl && rm -rf /deps
COPY --from=wheel /app /app
RUN pip install --no-cache-dir --no-index --no-deps --target "${LAMBDA_TASK_ROOT}" /app/*.whl && rm -rf /app

FROM runtime AS streaming
ENV VIDEOFORGE_MODULES=streaming
CMD ["entrypoints.lambda_streaming.handler"]

FROM runtime AS gallery
ENV VIDEOFORGE_MODULES=gallery
CMD ["entrypoints.lambda_gallery.handler"]
