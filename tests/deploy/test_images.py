"""Every Dockerfile built with buildah from stand-in bases, then the split stack of docker/compose.yaml run from the
images (gateway, worker, client nginx) against this machine's PostgreSQL and a weed S3 on loopback: the end-to-end
scenario passes through the client's nginx, so do the watch and embed pages the gateway renders, each HEALTHCHECK
passes, and the Lambda images answer HTTP API v2 events through the Lambda Runtime API, as Lambda runs them.

Containers share the host's network (buildah's chroot isolation), so the test moves the fixed ports of compose
(gateway 8000, client 8080) to free ones and points the client's /api proxy at the gateway's loopback address;
every other setting and every command comes from compose.yaml unchanged. Build times are printed at the end.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
import uuid
from pathlib import Path

import pytest
import requests
import yaml

from tests.conftest import throwaway_pg_database
from tests.deploy import images
from tests.deploy.lambda_runtime import RuntimeApi
from tests.need import need
from tests.servers import free_ports
from tests.topologies.events import make_event
from tests.topologies.harness import Service, Topology
from tests.topologies.scenario import run_scenario, sign_up

pytestmark = [pytest.mark.images, pytest.mark.slow, pytest.mark.postgres, pytest.mark.timeout(3600)]

DOCKER = images.ROOT / "docker"
COMPOSE = yaml.safe_load((DOCKER / "compose.yaml").read_text())
# What the test replaces in compose's environment: the addresses of what runs elsewhere here, and weed's keys.
ADDRESSED = ("VIDEOFORGE_DATABASE_URL", "VIDEOFORGE_S3_BUCKET", "VIDEOFORGE_S3_ENDPOINT_URL",
             "VIDEOFORGE_S3_PUBLIC_ENDPOINT_URL", "VIDEOFORGE_S3_ACCESS_KEY_ID", "VIDEOFORGE_S3_SECRET_ACCESS_KEY",
             "VIDEOFORGE_PUBLIC_URL")
LAMBDA_USER = "993:990"  # Lambda runs function code as an unprivileged sandbox user (sbx_user1051)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> images.Buildah:
    """Stand-ins and every project image, built (or found in the cache); prints how long each step took."""
    try:
        images.ensure_tools()
    except images.ToolsMissing as exc:
        need(False, str(exc))
    logs = tmp_path_factory.mktemp("image-build-logs")
    buildah = images.Buildah()
    buildah.prune_if_large()
    report = images.BuildReport()
    started = time.monotonic()
    images.build_standins(buildah, report, logs)
    images.build_images(buildah, report, logs)
    images.BUILD_REPORTS.append(f"images built in {time.monotonic() - started:.0f} s with buildah/{buildah.driver} "
                                f"(cache {images.CACHE}): {report.summary()}")
    return buildah


def compose_service(name: str) -> dict:
    return COMPOSE["services"][name]


def image_of(name: str) -> str:
    """compose's image name for a service -> the tag this test built it under."""
    built_as = {"videoforge/gateway:local": "gateway", "videoforge/worker:local": "worker",
                "videoforge/client:local": "client"}[compose_service(name)["image"]]
    return f"localhost/videoforge/{built_as}:test"


def compose_environment(name: str, addresses: dict[str, str]) -> dict[str, str]:
    env = {key: str(value) for key, value in (compose_service(name).get("environment") or {}).items()}
    missing = [key for key in addresses if key not in env]
    assert not missing, f"compose's {name} no longer sets {missing}: update ADDRESSED in this test"
    return {**env, **addresses}


class Container(Service):
    """A harness Service whose process is `buildah run` in a container of an image; stopping signals the command
    inside (buildah itself would SIGKILL it), as `docker stop` does."""

    def __init__(self, buildah: images.Buildah, name: str, image: str, argv: list[str], env: dict[str, str],
                 volumes: list[str] = (), user: str | None = None, port: int | None = None,
                 health_replace: dict[str, str] | None = None):
        self.buildah = buildah
        self.health_replace = health_replace or {}  # the health check's fixed address, when the test moved it
        self.container = f"vf-test-{name}-{uuid.uuid4().hex[:8]}"
        self.image = image
        self.run_env = env
        self.volumes = list(volumes)
        self.user = user
        self.command = argv
        super().__init__(name, self.run_argv(argv), dict(os.environ), port)
        # The command's user reopens /dev/stdout and /dev/stderr (nginx does): the log file must let it.
        self.log_path.chmod(0o666)

    def run_argv(self, argv: list[str]) -> list[str]:
        options = ["--isolation", "chroot"]
        for key, value in self.run_env.items():
            options += ["-e", f"{key}={value}"]
        for volume in self.volumes:
            options += ["-v", volume]
        if self.user:
            options += ["--user", self.user]
        return [*self.buildah.base, "run", *options, self.container, "--", *argv]

    def start(self) -> None:
        self.buildah("from", "--pull=never", "--name", self.container, self.image)
        # A mounted folder replaces the image's VOLUME there (as a named volume does in Docker); buildah 1.28 would
        # mount both in a random order, so the declaration is dropped from this container first.
        declared = set(self.buildah.image_config(self.image).get("Volumes") or {})
        for target in {volume.split(":")[1] for volume in self.volumes} & declared:
            self.buildah("config", "--volume", f"{target}-", self.container)
        super().start()

    def exec(self, argv: list[str], timeout: float = 30) -> subprocess.CompletedProcess:
        """Another process in the same container (what `docker exec` and health checks do)."""
        return subprocess.run(self.run_argv(argv), capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL, check=False)

    def healthcheck(self) -> subprocess.CompletedProcess:
        """The image's HEALTHCHECK command, run inside the container."""
        test = self.buildah.image_config(self.image)["Healthcheck"]["Test"]
        assert test[0] == "CMD", test
        return self.exec([replace_all(arg, self.health_replace) for arg in test[1:]])

    def payload(self) -> int | None:
        """The command's pid: the child of buildah's chroot exec helper among this process's descendants."""
        if self.process is None:
            return None
        children: dict[int, list[int]] = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                except (OSError, IndexError, ValueError):
                    continue
                children.setdefault(parent, []).append(int(entry.name))
        pending = [self.process.pid]
        while pending:
            pid = pending.pop()
            try:
                argv0 = (Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0]).decode(errors="replace")
            except OSError:
                argv0 = ""
            if argv0.endswith("buildah-chroot-exec") and children.get(pid):
                return children[pid][0]
            pending += children.get(pid, [])
        return None

    def terminate(self) -> None:
        if self.process is not None and self.process.poll() is None:
            pid = self.payload()
            if pid is not None:
                os.kill(pid, 15)
            else:
                self.process.terminate()

    def stop(self, timeout: float = 15.0) -> float:
        seconds = super().stop(timeout)
        self.buildah("rm", self.container, check=False)
        return seconds


def replace_all(text: str, replacements: dict[str, str]) -> str:
    for old, new in replacements.items():
        text = text.replace(old, new)
    return text


def volumes_of(name: str, named: dict[str, Path], files: dict[str, Path]) -> list[str]:
    """compose's volumes of a service as buildah -v options: named volumes -> folders, ./files -> these files."""
    options = []
    for volume in compose_service(name).get("volumes", []):
        source, target, *mode = volume.split(":")
        host = files.get(source) or (DOCKER / source if source.startswith(".") else named[source])
        options.append(":".join([str(host), target, *mode]))
    return options


def default_command(buildah: images.Buildah, image: str, name: str) -> list[str]:
    """compose's `command` for the service, else the image's ENTRYPOINT + CMD."""
    config = buildah.image_config(image)
    command = compose_service(name).get("command") or config.get("Cmd") or []
    return [*(config.get("Entrypoint") or []), *command]


@pytest.fixture(scope="module")
def stack(built, weed_s3, tmp_path_factory):
    """compose's split stack from the images: setup (bucket, migrations, keys) once, then gateway, worker and
    client. Yields the Topology; the client's URL is topology['client'].url."""
    database = throwaway_pg_database("vf_images")
    database_url = next(database)
    gateway_port, client_port = free_ports(2)
    client_url = f"http://127.0.0.1:{client_port}"
    addresses = {
        "VIDEOFORGE_DATABASE_URL": database_url, "VIDEOFORGE_S3_BUCKET": f"vf-images-{uuid.uuid4().hex[:8]}",
        "VIDEOFORGE_S3_ENDPOINT_URL": weed_s3.endpoint_url, "VIDEOFORGE_S3_PUBLIC_ENDPOINT_URL": weed_s3.endpoint_url,
        "VIDEOFORGE_S3_ACCESS_KEY_ID": weed_s3.access_key, "VIDEOFORGE_S3_SECRET_ACCESS_KEY": weed_s3.secret_key,
        "VIDEOFORGE_PUBLIC_URL": client_url,
    }
    assert set(addresses) == set(ADDRESSED)
    scratch = tmp_path_factory.mktemp("compose")
    named = {}
    for volume in COMPOSE.get("volumes") or {}:
        named[volume] = scratch / f"volume-{volume}"
        named[volume].mkdir()
        os.chown(named[volume], 10001, 10001)  # a fresh named volume takes the owner of the image's folder
    proxy = (DOCKER / "nginx/api-proxy.conf").read_text()
    assert "http://gateway:8000" in proxy
    (scratch / "api-proxy.conf").write_text(proxy.replace("http://gateway:8000", f"http://127.0.0.1:{gateway_port}"))
    server = (DOCKER / "nginx/client.conf").read_text()
    assert "listen 8080;" in server
    (scratch / "client.conf").write_text(server.replace("listen 8080;", f"listen 127.0.0.1:{client_port};"))
    files = {"./nginx/api-proxy.conf": scratch / "api-proxy.conf"}

    setup = Container(built, "setup", image_of("setup"), default_command(built, image_of("setup"), "setup"),
                      compose_environment("setup", addresses), volumes_of("setup", named, files))
    gateway = Container(built, "gateway", image_of("gateway"), default_command(built, image_of("gateway"), "gateway"),
                        {**compose_environment("gateway", addresses), "GUNICORN_BIND": f"127.0.0.1:{gateway_port}"},
                        volumes_of("gateway", named, files), port=gateway_port)
    worker = Container(built, "worker", image_of("worker"), default_command(built, image_of("worker"), "worker"),
                       compose_environment("worker", addresses), volumes_of("worker", named, files))
    client = Container(built, "client", image_of("client"), default_command(built, image_of("client"), "client"),
                       {}, [*volumes_of("client", named, files),
                            f"{scratch / 'client.conf'}:/etc/nginx/conf.d/default.conf:ro"], port=client_port,
                       health_replace={"127.0.0.1:8080": f"127.0.0.1:{client_port}"})
    try:
        with Topology() as topology:
            topology.add(setup)
            setup.start()
            code = setup.process.wait(300)
            assert code == 0, f"compose's setup command failed ({code}):\n{setup.log_tail()}"
            made = sorted(path.name for path in named["instance"].iterdir())
            assert {"auth_signing_key.pem", "secret_key"} <= set(made), \
                f"setup left no keys in the instance volume ({made}):\n{setup.log_tail()}"
            setup.stop()
            for service in (gateway, worker):
                topology.add(service)
                service.start()
            gateway.wait_ready("/readyz", timeout=120)
            healthy = gateway.healthcheck()  # compose starts the client once the gateway's health check passes
            assert healthy.returncode == 0, f"the gateway's HEALTHCHECK failed:\n{healthy.stdout}{healthy.stderr}"
            topology.add(client)
            client.start()
            client.wait_ready("/healthz", timeout=60)
            yield topology
            for service in (gateway, worker, client):
                assert service.process.poll() is None, f"{service.name} died:\n{service.log_tail()}"
            stopped = topology.stop()
            slow = {name: seconds for name, seconds in stopped.items() if seconds > 12}
            assert not slow, f"containers slow to stop on SIGTERM: {slow}"
        topology.cleanup_logs()
    finally:
        next(database, None)


def test_every_base_image_has_a_stand_in():
    assert images.base_images() <= set(images.STANDIN_FOR), \
        f"a Dockerfile uses a base without a stand-in: {images.base_images() - set(images.STANDIN_FOR)}"


def test_the_health_checks_pass_inside_the_containers(stack):
    for name in ("gateway", "worker", "client"):
        result = stack[name].healthcheck()
        assert result.returncode == 0, f"{name}'s HEALTHCHECK failed:\n{result.stdout}{result.stderr}"


def test_the_gateway_keeps_its_keys_in_the_mounted_instance_folder_only(stack):
    """compose's setup made the signing key and app key once in the shared volume; the gateway reads them there
    (mounted read-only), so every replica signs and verifies with the same keys and nothing is written in the image."""
    result = stack["gateway"].exec(["ls", "/var/lib/videoforge/instance"])
    assert result.returncode == 0 and {"auth_signing_key.pem", "secret_key"} <= set(result.stdout.split()), result
    jwks = requests.get(f"{stack['gateway'].url}/api/auth/.well-known/jwks.json", timeout=10)
    assert jwks.status_code == 200 and len(jwks.json()["keys"]) == 1


def test_upload_transcode_and_play_every_rung_through_the_client_nginx(stack, tmp_path):
    run_scenario(stack["client"].url, tmp_path, logs={"gateway": stack["gateway"], "worker": stack["worker"]})


def assets_named(page: str) -> list[str]:
    return sorted(set(re.findall(r'(?:src|href)="(/assets/[^"]+)"', page)))


def test_the_watch_and_embed_pages_come_from_the_gateway_through_the_client_nginx(stack):
    """nginx sends /watch/ and /embed/ to the gateway (compose's api-proxy.conf, as the ALB does in AWS), whose web
    module renders them from the client build its image carries: the head it writes (the static index.html has no
    Open Graph tags), the video owner's frame-ancestors, and the same hashed assets nginx serves."""
    client = stack["client"].url
    watch = requests.get(f"{client}/watch/{uuid.uuid4().hex}", headers={"X-Request-Id": "images-watch-1"}, timeout=10)
    assert watch.status_code == 200, watch.text[:500]
    assert '<meta property="og:site_name" content="VideoForge">' in watch.text, watch.text[:1000]
    assert watch.headers.get("X-Request-Id") == "images-watch-1"  # the app's echo, through nginx's headers
    static = requests.get(f"{client}/", timeout=10)
    assert static.status_code == 200 and "og:site_name" not in static.text  # nginx's own copy of the page
    assert assets_named(watch.text) == assets_named(static.text) != []
    for path in assets_named(watch.text):
        assert requests.get(f"{client}{path}", timeout=10).status_code == 200, path

    refused = requests.get(f"{client}/embed/{uuid.uuid4().hex}", timeout=10)
    assert refused.status_code == 404
    assert "frame-ancestors 'none'" in refused.headers.get("Content-Security-Policy", ""), refused.headers

    headers = sign_up(client)
    created = requests.post(f"{client}/api/gallery/uploads", headers=headers, timeout=10, json={
        "title": "Shared from the images", "filename": "a.mp4", "size": 1000, "content_type": "video/mp4",
        "visibility": "public"})
    assert created.status_code == 201, created.text
    video_id = created.json()["video"]["id"]
    patched = requests.patch(f"{client}/api/gallery/videos/{video_id}", headers=headers, timeout=10,
                             json={"embed_origins": ["https://partner.example"]})
    assert patched.status_code == 200, patched.text
    shared = requests.get(f"{client}/watch/{video_id}", timeout=10)
    assert '<meta property="og:title" content="Shared from the images">' in shared.text
    assert 'type="application/json+oembed"' in shared.text
    embed = requests.get(f"{client}/embed/{video_id}", timeout=10)
    assert embed.status_code == 200
    assert "frame-ancestors https://partner.example" in embed.headers["Content-Security-Policy"]
    oembed = requests.get(f"{client}/api/oembed", params={"url": f"{client}/watch/{video_id}"}, timeout=10)
    assert oembed.status_code == 200 and oembed.json()["title"] == "Shared from the images", oembed.text


def test_a_gateway_given_its_keys_in_the_environment_boots_with_nothing_writable(built, stack, tmp_path):
    """The other way to give the keys: the environment (or secretsmanager: references), with an empty instance
    folder mounted read-only: the gateway boots, publishes that key and writes nothing."""
    from joserfc.jwk import RSAKey

    key = RSAKey.generate_key(2048, private=True)
    key.ensure_kid()
    empty = tmp_path / "instance"
    empty.mkdir()
    (port,) = free_ports(1)
    env = {**stack["gateway"].run_env, "GUNICORN_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "1",
           "VIDEOFORGE_AUTH_SIGNING_KEY": key.as_pem(private=True).decode(), "VIDEOFORGE_SECRET_KEY": "x" * 48}
    gateway = Container(built, "gateway-env", image_of("gateway"), stack["gateway"].command, env,
                        [f"{empty}:/var/lib/videoforge/instance:ro"], port=port)
    gateway.start()
    try:
        gateway.wait_ready("/readyz", timeout=120)
        keys = requests.get(f"{gateway.url}/api/auth/.well-known/jwks.json", timeout=10).json()["keys"]
        assert [k["kid"] for k in keys] == [key.kid]
        assert not list(empty.iterdir())
    finally:
        gateway.stop()
        gateway.log_path.unlink(missing_ok=True)


def lambda_container(built, target: str, stack, runtime: RuntimeApi) -> Container:
    """A Lambda image started as Lambda starts it: ENTRYPOINT + CMD, the Runtime API's address, a sandbox user."""
    image = f"localhost/videoforge/{target}:test"
    config = built.image_config(image)
    env = {key: value for key, value in stack["gateway"].run_env.items()
           if key.startswith("VIDEOFORGE_") and key not in ("VIDEOFORGE_MODULES",)}
    env.update({
        "AWS_LAMBDA_RUNTIME_API": runtime.address, "AWS_LAMBDA_FUNCTION_NAME": f"videoforge-{target}",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1024",
        "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1",
        # Local sign-in: the function verifies the gateway's tokens with its published keys.
        "VIDEOFORGE_AUTH_JWKS_URL": f"{stack['gateway'].url}/api/auth/.well-known/jwks.json",
    })
    return Container(built, f"lambda-{target}", image, [*config["Entrypoint"], *config["Cmd"]], env,
                     user=LAMBDA_USER)


def response_json(response: dict) -> dict:
    import base64
    import json

    body = response.get("body") or ""
    return json.loads(base64.b64decode(body) if response.get("isBase64Encoded") else body)


def test_the_lambda_images_answer_http_api_events(built, stack):
    """The gallery image creates an upload and lists it; the streaming image answers for that video exactly as the
    gateway does. Each runs as Lambda runs it: entrypoint + handler, events from the Runtime API, no root."""
    headers = sign_up(stack["client"].url)
    with RuntimeApi() as gallery_runtime, RuntimeApi() as streaming_runtime:
        gallery = lambda_container(built, "gallery", stack, gallery_runtime)
        streaming = lambda_container(built, "streaming", stack, streaming_runtime)
        try:
            gallery.start()
            streaming.start()
            created = gallery_runtime.invoke(make_event(
                "http_api", "POST", "/api/gallery/uploads", headers={**headers, "content-type": "application/json"},
                body=b'{"title": "from the lambda image", "filename": "a.mp4", "size": 1000, '
                     b'"content_type": "video/mp4"}'), timeout=120)
            assert created["statusCode"] == 201, created
            video = response_json(created)["video"]
            listed = gallery_runtime.invoke(make_event("http_api", "GET", "/api/gallery/videos", headers=headers))
            assert listed["statusCode"] == 200, listed
            assert video["id"] in [v["id"] for v in response_json(listed)], listed
            answered = streaming_runtime.invoke(make_event(
                "http_api", "GET", f"/api/streaming/videos/{video['id']}", headers=headers), timeout=120)
            direct = requests.get(f"{stack['client'].url}/api/streaming/videos/{video['id']}", headers=headers,
                                  timeout=10)
            assert answered["statusCode"] == direct.status_code, (answered, direct.text)
            assert response_json(answered).get("code") == direct.json().get("code")
        finally:
            for container in (gallery, streaming):
                container.stop()
                container.log_path.unlink(missing_ok=True)
