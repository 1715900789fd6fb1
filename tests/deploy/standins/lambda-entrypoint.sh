#!/bin/sh
# The Lambda base image's entrypoint contract: one argument, the handler; the runtime client does the rest.
if [ $# -ne 1 ]; then
  echo "entrypoint requires the handler name to be the first argument" 1>&2
  exit 142
fi
if [ -z "${AWS_LAMBDA_RUNTIME_API}" ]; then
  echo "AWS_LAMBDA_RUNTIME_API is not set (this stand-in has no local emulator)" 1>&2
  exit 1
fi
export _HANDLER="$1" PYTHONPATH="/var/runtime${PYTHONPATH:+:$PYTHONPATH}"
exec python3 -m awslambdaric "$1"
