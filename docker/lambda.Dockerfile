# VideoForge gallery and streaming Lambdas on the AWS Lambda Python base image (container-image functions).
# Build one target per function from the repository root:
#   docker build -f docker/lambda.Dockerfile --target gallery   -t videoforge/gallery .
#   docker build -f docker/lambda.Dockerfile --target streaming -t videoforge/streaming .
# Lambda runs the code as its own unprivileged user; the task root is read-only at run time.

FROM public.ecr.aws/lambda/python:3.11 AS wheel
WORKDIR /src
COPY setup.cfg pyproject.toml README.md ./
COPY videoforge ./videoforge
COPY entrypoints ./entrypoints
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM public.ecr.aws/lambda/python:3.11 AS runtime
ENV VIDEOFORGE_AUTO_MIGRATE=false VIDEOFORGE_WORKER_IN_PROCESS=false VIDEOFORGE_LOG_FORMAT=json
COPY --from=wheel /wheels /wheels
RUN pip install --no-cache-dir --target "${LAMBDA_TASK_ROOT}" /wheels/*.whl && rm -rf /wheels

FROM runtime AS streaming
ENV VIDEOFORGE_MODULES=streaming
CMD ["entrypoints.lambda_streaming.handler"]

FROM runtime AS gallery
ENV VIDEOFORGE_MODULES=gallery
CMD ["entrypoints.lambda_gallery.handler"]
