"""Build and run the project's Dockerfiles without a Docker daemon: buildah with chroot isolation, from stand-in
base images made with debootstrap (no image registry is reachable), everything cached between runs.

The cache (VIDEOFORGE_IMAGE_CACHE, default /var/tmp/videoforge-images) holds buildah's storage and the Debian root
tarball. Stand-ins are rebuilt only when their inputs change (their files, this machine's CA bundle and package
settings, the Debian mirror); project images use buildah's layer cache, so an unchanged Dockerfile and context
rebuild in seconds.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STANDINS = Path(__file__).resolve().parent / "standins"
CACHE = Path(os.environ.get("VIDEOFORGE_IMAGE_CACHE", "/var/tmp/videoforge-images"))
SUITE = "bookworm"
LABEL = "org.videoforge.standin.inputs"
CACHE_LIMIT_BYTES = 20 * 1024**3  # past this, dangling layers from older builds are pruned first
BUILD_REPORTS: list[str] = []  # printed at the end of the session (tests/deploy/conftest.py)


class ToolsMissing(RuntimeError):
    """buildah or debootstrap is missing and cannot be installed here (not root, no sudo)."""


def ensure_tools() -> None:
    """Install buildah and debootstrap from the system packages when missing, as `make system-deps` does for ffmpeg."""
    missing = [tool for tool in ("buildah", "debootstrap") if not shutil.which(tool)]
    if not missing:
        return
    sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
    if sudo and not shutil.which("sudo"):
        raise ToolsMissing(f"{' and '.join(missing)} missing; install them (apt-get install {' '.join(missing)})")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for argv in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", *missing]):
        result = subprocess.run(sudo + argv, env=env, capture_output=True, text=True, timeout=600, check=False)
        if result.returncode != 0:
            raise ToolsMissing(f"{' '.join(argv)} failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")


def storage_driver() -> str:
    """overlay where the kernel has it (a layer is a diff: fast and small), else vfs (a full copy per layer)."""
    forced = os.environ.get("VIDEOFORGE_BUILDAH_DRIVER")
    if forced:
        return forced
    filesystems = Path("/proc/filesystems").read_text() if Path("/proc/filesystems").exists() else ""
    return "overlay" if re.search(r"\boverlay\b", filesystems) else "vfs"


def digest(*parts: bytes | str) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode() if isinstance(part, str) else part)
        h.update(b"\0")
    return h.hexdigest()[:16]


def tree_digest(folder: Path) -> str:
    """Names, modes and contents of every file under `folder` (symlinks by target)."""
    parts: list[bytes | str] = []
    for path in sorted(folder.rglob("*")):
        parts.append(str(path.relative_to(folder)))
        if path.is_symlink():
            parts.append("-> " + os.readlink(path))
        elif path.is_file():
            parts += [oct(path.stat().st_mode & 0o777), path.read_bytes()]
    return digest(*parts)


class Buildah:
    """buildah with this cache's storage, the chosen driver and chroot isolation."""

    def __init__(self, cache: Path = CACHE):
        self.driver = storage_driver()
        self.root = cache / f"storage-{self.driver}"
        self.base = ["buildah", "--root", str(self.root), "--runroot", str(cache / f"run-{self.driver}"),
                     "--storage-driver", self.driver]

    def __call__(self, *args: str, timeout: float = 120, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run([*self.base, *args], capture_output=True, text=True, timeout=timeout,
                                stdin=subprocess.DEVNULL, check=False)
        if check and result.returncode != 0:
            raise RuntimeError(f"buildah {' '.join(args[:3])} failed:\n{result.stdout[-3000:]}{result.stderr[-3000:]}")
        return result

    def image_config(self, image: str) -> dict | None:
        """The image's Docker config (Env, Cmd, Entrypoint, Healthcheck, User, Labels...), or None if absent."""
        result = self("inspect", "--type", "image", image, check=False)
        if result.returncode != 0:
            return None
        return json.loads(result.stdout)["Docker"]["config"]

    def bud(self, dockerfile: Path, context: Path, tag: str, *, target: str | None = None,
            labels: dict[str, str] | None = None, log: Path | None = None, timeout: float = 1800) -> float:
        """Build with the layer cache, Docker format (keeps HEALTHCHECK) and never pulling; returns seconds."""
        argv = [*self.base, "bud", "--isolation", "chroot", "--format", "docker", "--layers", "--pull=never",
                "-f", str(dockerfile), "-t", tag]
        if target:
            argv += ["--target", target]
        for key, value in (labels or {}).items():
            argv += ["--label", f"{key}={value}"]
        started = time.monotonic()
        with open(log or os.devnull, "w") as out:
            result = subprocess.run([*argv, str(context)], stdout=out, stderr=subprocess.STDOUT, timeout=timeout,
                                    stdin=subprocess.DEVNULL, check=False)
        if result.returncode != 0:
            tail = log.read_text(errors="replace")[-4000:] if log else ""
            raise RuntimeError(f"building {dockerfile.name} ({target or 'default'}) failed:\n{tail}")
        return time.monotonic() - started

    def prune_if_large(self) -> None:
        size = sum(p.stat().st_size for p in self.root.rglob("*") if p.is_file() and not p.is_symlink()) \
            if self.root.exists() else 0
        if size > CACHE_LIMIT_BYTES:
            self("rmi", "--prune", timeout=600, check=False)


# ---- stand-in bases --------------------------------------------------------------------------------------

# Base image named in a Dockerfile -> the stand-in's Containerfile and the files its context needs.
STANDIN_FOR = {
    "python:3.11-slim-bookworm": ("python.Containerfile", ()),
    "public.ecr.aws/lambda/python:3.12": ("lambda.Containerfile", ("lambda-entrypoint.sh",)),
    "node:20-bookworm-slim": ("node.Containerfile", ()),
    "nginxinc/nginx-unprivileged:1.27-alpine": ("nginx.Containerfile", ("nginx.conf", "nginx-default.conf")),
}
# The Lambda stand-in starts from the Python one (so it runs Debian's 3.11 under the 3.12 name: see its file).
STANDIN_ORDER = ["python:3.11-slim-bookworm", "public.ecr.aws/lambda/python:3.12", "node:20-bookworm-slim",
                 "nginxinc/nginx-unprivileged:1.27-alpine"]


def qualified(name: str) -> str:
    """The name buildah resolves a short Dockerfile name to (docker.io/library/python:..., docker.io/nginxinc/...)."""
    first = name.split("/", 1)[0]
    if "/" in name and ("." in first or ":" in first):
        return name
    return f"docker.io/{name}" if "/" in name else f"docker.io/library/{name}"


def base_images() -> set[str]:
    """Every external FROM of docker/*.Dockerfile (stages excluded)."""
    names = set()
    for dockerfile in (ROOT / "docker").glob("*.Dockerfile"):
        stages = set()
        for line in dockerfile.read_text().splitlines():
            match = re.match(r"\s*FROM\s+(\S+)(?:\s+AS\s+(\S+))?", line, re.IGNORECASE)
            if match:
                if match.group(1) not in stages:
                    names.add(match.group(1))
                if match.group(2):
                    stages.add(match.group(2))
    return names


def apt_sources() -> list[tuple[str, str]]:
    """(file name, text) of this machine's enabled apt sources whose keyrings a Debian root also has."""
    found = []
    folder = Path("/etc/apt/sources.list.d")
    candidates = [Path("/etc/apt/sources.list")] + sorted(folder.glob("*.list")) + sorted(folder.glob("*.sources"))
    for path in candidates:
        if not path.is_file():
            continue
        text = path.read_text()
        keyrings = re.findall(r"(?:Signed-By:|signed-by=)\s*(\S+?)[\]\s]", text + "\n")
        if all(k.startswith("/usr/share/keyrings/debian-archive") for k in keyrings) and "debian" in text:
            found.append((path.name, text))
    return found


def debian_mirror() -> str:
    """The first Debian archive URI in this machine's sources (where debootstrap fetches from)."""
    for _, text in apt_sources():
        for uri in re.findall(r"(?:URIs:\s*|deb\s+(?:\[[^\]]*\]\s+)?)(\S+)", text):
            if uri.rstrip("/").endswith("/debian"):
                return uri
    return "http://deb.debian.org/debian"


def pip_settings() -> str:
    """pip.conf for the stand-ins: this machine's index settings (remote ones only) and the CA bundle."""
    result = subprocess.run([sys.executable, "-m", "pip", "config", "list"], capture_output=True, text=True,
                            timeout=60, check=False)
    lines = ["[global]", "cert = /etc/ssl/certs/ca-certificates.crt"]
    wanted = ("index-url", "extra-index-url", "trusted-host", "proxy", "timeout", "default-timeout")
    seen = set()
    for line in result.stdout.splitlines():
        key, _, value = line.partition("=")
        name = key.split(".", 1)[-1]
        value = value.strip().strip("'\"")
        if name in wanted and name not in seen:
            if "url" in name:
                value = " ".join(v for v in value.split() if v.startswith(("http://", "https://")))
            if value:
                seen.add(name)
                lines.append(f"{name} = {value}")
    for env, name in (("PIP_INDEX_URL", "index-url"), ("PIP_EXTRA_INDEX_URL", "extra-index-url"),
                      ("PIP_TRUSTED_HOST", "trusted-host")):
        if os.environ.get(env) and name not in seen:
            lines.append(f"{name} = {os.environ[env]}")
    return "\n".join(lines) + "\n"


def npm_settings() -> str:
    """npmrc for the stand-ins: this machine's registry and the CA bundle."""
    registry = ""
    if shutil.which("npm"):
        result = subprocess.run(["npm", "config", "get", "registry"], capture_output=True, text=True, timeout=60,
                                check=False)
        registry = result.stdout.strip() if result.returncode == 0 else ""
    lines = ["cafile=/etc/ssl/certs/ca-certificates.crt", "fund=false", "audit=false", "update-notifier=false"]
    if registry.startswith(("http://", "https://")):
        lines.insert(0, f"registry={registry}")
    return "\n".join(lines) + "\n"


def write_host_settings(folder: Path) -> None:
    """host/: the files every stand-in copies over its root so package managers inside builds work here."""
    bundle = Path(os.environ.get("SSL_CERT_FILE") or "/etc/ssl/certs/ca-certificates.crt")
    for target in ("etc/ssl/certs/ca-certificates.crt", "usr/local/share/ca-certificates/host-bundle.crt"):
        (folder / target).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(bundle, folder / target)
    sources = folder / "etc/apt/sources.list.d"
    sources.mkdir(parents=True, exist_ok=True)
    for name, text in apt_sources() or [("debian.list", f"deb {debian_mirror()} {SUITE} main\n")]:
        (sources / (name if name != "sources.list" else "host.list")).write_text(text)
    conf = folder / "etc/apt/apt.conf.d"
    conf.mkdir(parents=True, exist_ok=True)
    for path in sorted(Path("/etc/apt/apt.conf.d").glob("*")):
        if path.is_file() and re.search(r"^\s*Acquire::", path.read_text(errors="replace"), re.MULTILINE):
            shutil.copyfile(path, conf / path.name)  # proxies, mirrors' validity settings
    (folder / "etc/pip.conf").write_text(pip_settings())
    (folder / "usr/local/etc").mkdir(parents=True, exist_ok=True)
    (folder / "usr/local/etc/npmrc").write_text(npm_settings())


def copy_host_node(folder: Path) -> str:
    """This machine's node and npm under node/ (installed at /usr/local); returns node's version."""
    node = shutil.which("node")
    npm = shutil.which("npm")
    if not node or not npm:
        raise RuntimeError("node and npm are needed for the client image's build stage (make system-deps)")
    (folder / "bin").mkdir(parents=True)
    shutil.copy2(os.path.realpath(node), folder / "bin" / "node")
    npm_package = Path(os.path.realpath(npm)).parents[1]  # .../lib/node_modules/npm/bin/npm-cli.js -> .../npm
    shutil.copytree(npm_package, folder / "lib" / "node_modules" / "npm", symlinks=True)
    return subprocess.run([node, "--version"], capture_output=True, text=True, timeout=30, check=False).stdout.strip()


def debian_root(cache: Path, log: Path) -> tuple[Path, str]:
    """A minbase Debian root as a tarball, made once per mirror."""
    mirror = debian_mirror()
    key = digest(SUITE, mirror, "minbase")
    tarball = cache / f"debian-{SUITE}-{key}.tar"
    if not tarball.exists():
        work = Path(tempfile.mkdtemp(prefix="rootfs-", dir=cache))
        try:
            with open(log, "w") as out:
                subprocess.run(["debootstrap", "--variant=minbase", SUITE, str(work / "root"), mirror],
                               stdout=out, stderr=subprocess.STDOUT, check=True, timeout=1200)
            (work / "root/etc/apt/sources.list").unlink(missing_ok=True)  # the host's sources come in host/
            shutil.rmtree(work / "root/var/cache/apt/archives", ignore_errors=True)
            (work / "root/var/cache/apt/archives/partial").mkdir(parents=True)
            subprocess.run(["tar", "-C", str(work / "root"), "-cf", str(work / "root.tar"), "."], check=True,
                           timeout=600)
            os.replace(work / "root.tar", tarball)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return tarball, key


@dataclass
class BuildReport:
    """Seconds spent per step, and which steps were served from the cache."""

    seconds: dict[str, float] = field(default_factory=dict)
    cached: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return ", ".join(f"{name} {secs:.0f}s{' (cached)' if name in self.cached else ''}"
                         for name, secs in self.seconds.items())


def build_standins(buildah: Buildah, report: BuildReport, logs: Path) -> None:
    """Every stand-in base, tagged with the names the Dockerfiles use; unchanged ones are kept."""
    CACHE.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    rootfs, rootfs_key = debian_root(CACHE, logs / "debootstrap.log")
    report.seconds["debian root"] = time.monotonic() - started
    with tempfile.TemporaryDirectory(prefix="standin-", dir=CACHE) as scratch:
        host = Path(scratch) / "host"
        write_host_settings(host)
        host_key = tree_digest(host)
        node = Path(scratch) / "node"
        node_version = ""
        for name in STANDIN_ORDER:
            containerfile, extras = STANDIN_FOR[name]
            context = Path(scratch) / containerfile.split(".")[0]
            context.mkdir()
            shutil.copy2(STANDINS / containerfile, context / containerfile)
            for extra in extras:
                shutil.copy2(STANDINS / extra, context / extra)
            if "ADD rootfs.tar" in (STANDINS / containerfile).read_text():
                os.link(rootfs, context / "rootfs.tar")
                shutil.copytree(host, context / "host", symlinks=True)
            if containerfile.startswith("node"):
                node_version = node_version or copy_host_node(node)
                shutil.copytree(node, context / "node", symlinks=True)
            parent = ""
            if containerfile.startswith("lambda"):
                parent = ((buildah.image_config(qualified("python:3.11-slim-bookworm")) or {}).get("Labels") or {}) \
                    .get(LABEL, "")
            key = digest(tree_digest(STANDINS), rootfs_key, host_key, node_version, parent, containerfile)
            existing = buildah.image_config(qualified(name))
            if existing and (existing.get("Labels") or {}).get(LABEL) == key:
                report.seconds[f"stand-in {name}"] = 0.0
                report.cached.append(f"stand-in {name}")
                continue
            report.seconds[f"stand-in {name}"] = buildah.bud(
                context / containerfile, context, qualified(name), labels={LABEL: key},
                log=logs / f"standin-{containerfile.split('.')[0]}.log")


# ---- project images --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ImageSpec:
    """One image the project ships: its Dockerfile, build target and the tag the tests use."""

    dockerfile: str
    target: str | None
    tag: str


IMAGES = [
    ImageSpec("gateway.Dockerfile", None, "localhost/videoforge/gateway:test"),
    ImageSpec("worker.Dockerfile", None, "localhost/videoforge/worker:test"),
    ImageSpec("client.Dockerfile", None, "localhost/videoforge/client:test"),
    ImageSpec("lambda.Dockerfile", "gallery", "localhost/videoforge/gallery:test"),
    ImageSpec("lambda.Dockerfile", "streaming", "localhost/videoforge/streaming:test"),
]


def build_images(buildah: Buildah, report: BuildReport, logs: Path) -> None:
    for spec in IMAGES:
        name = spec.tag.split("/")[-1].split(":")[0]
        report.seconds[name] = buildah.bud(ROOT / "docker" / spec.dockerfile, ROOT, spec.tag, target=spec.target,
                                           log=logs / f"build-{name}.log")

