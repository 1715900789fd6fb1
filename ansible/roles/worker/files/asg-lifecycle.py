"""Scale-in for a worker instance: when the ASG marks it Terminating:Wait, stop the worker gracefully, then continue."""

from __future__ import annotations

import argparse
import logging
import subprocess
import sys
import time
import urllib.request

IMDS = "http://169.254.169.254/latest"
POLL_SECONDS = 5
HEARTBEAT_SECONDS = 300

log = logging.getLogger("asg-lifecycle")


def imds_get(path: str, base: str = IMDS) -> str:
    """One IMDSv2 read (token first; the launch template requires v2)."""
    token_request = urllib.request.Request(
        f"{base}/api/token", method="PUT", headers={"X-aws-ec2-metadata-token-ttl-seconds": "300"})
    with urllib.request.urlopen(token_request, timeout=2) as response:
        token = response.read().decode()
    request = urllib.request.Request(f"{base}/{path}", headers={"X-aws-ec2-metadata-token": token})
    with urllib.request.urlopen(request, timeout=2) as response:
        return response.read().decode()


def wait_for_termination(read=imds_get, sleep=time.sleep) -> None:
    """Block until the instance's target lifecycle state is Terminated (the ASG is waiting on our hook)."""
    while True:
        try:
            if read("meta-data/autoscaling/target-lifecycle-state").strip() == "Terminated":
                return
        except OSError as exc:  # IMDS hiccups are retried; the hook's timeout is the backstop
            log.warning("metadata read failed: %s", exc)
        sleep(POLL_SECONDS)


def stop_worker(unit: str, heartbeat) -> int:
    """`systemctl stop` the worker (SIGTERM, then its TimeoutStopSec) while keeping the hook alive."""
    stopping = subprocess.Popen(["systemctl", "stop", unit])
    last = time.monotonic()
    while stopping.poll() is None:
        time.sleep(1)
        if time.monotonic() - last >= HEARTBEAT_SECONDS:
            heartbeat()
            last = time.monotonic()
    return stopping.returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--group", required=True, help="Auto Scaling group name")
    parser.add_argument("--hook", required=True, help="termination lifecycle hook name")
    parser.add_argument("--unit", default="videoforge-worker.service", help="systemd unit of the worker")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")

    import boto3  # installed with the app; imported late so --help works anywhere

    instance_id = imds_get("meta-data/instance-id")
    autoscaling = boto3.client("autoscaling")
    hook = {"AutoScalingGroupName": args.group, "LifecycleHookName": args.hook, "InstanceId": instance_id}

    wait_for_termination()
    log.info("scale-in: stopping %s gracefully", args.unit)
    code = stop_worker(args.unit, lambda: autoscaling.record_lifecycle_action_heartbeat(**hook))
    log.info("worker stopped (systemctl exit %s); completing the lifecycle action", code)
    autoscaling.complete_lifecycle_action(LifecycleActionResult="CONTINUE", **hook)
    return 0


if __name__ == "__main__":
    sys.exit(main())
