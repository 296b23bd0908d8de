"""Container images of an exported lab: the ones nobody publishes are built from a Dockerfile.

An exported lab names three kinds of image: FRR's own (``quay.io/frrouting/frr``) for
routers, ``alpine`` for hosts and the internet router, and, for cloud edges that also end
IPsec tunnels, ``EDGE_IMAGE``: FRR and strongSwan together, which no registry has.
:func:`render_images` writes its ``Dockerfile`` and entry point next to the lab's configs
(``<lab>/images/<name>/``), pinned to the versions the netns lab runs (Debian 12's FRR
8.4.4 and strongSwan 5.9.8); :func:`build_images` (``netsim lab image``) runs ``docker
build`` for each image a file names that has such a directory, where Docker exists.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from netsim.errors import EnvironmentProblem, LabError

if TYPE_CHECKING:
    import jinja2

FRR_VERSION = "8.4.4"
STRONGSWAN_VERSION = "5.9.8"
DEBIAN = "bookworm"
FRR_IMAGE = f"quay.io/frrouting/frr:{FRR_VERSION}"
PLAIN_IMAGE = "alpine:3.20"


@dataclass(frozen=True, slots=True)
class ImageSpec:
    """An image netsim builds: its tag, its directory name and the templates of its files."""

    tag: str
    directory: str
    files: tuple[str, ...]


EDGE = ImageSpec(
    f"netsim/frr-strongswan:{FRR_VERSION}-{STRONGSWAN_VERSION}",
    "frr-strongswan",
    ("Dockerfile", "start.sh"),
)
EDGE_IMAGE = EDGE.tag
#: Images netsim writes a Dockerfile for, by tag.
BUILT = {EDGE.tag: EDGE}
DOCKER_TIMEOUT_S = 1800


def image_dir(lab: str, spec: ImageSpec) -> str:
    """Where an image's files go, relative to the export directory."""
    return f"{lab}/images/{spec.directory}"


def render_images(env: jinja2.Environment, lab: str, tags: set[str]) -> dict[str, str]:
    """The Dockerfile and entry point of every built image among ``tags``."""
    files = {}
    for tag in sorted(tags & set(BUILT)):
        spec = BUILT[tag]
        directory = image_dir(lab, spec)
        for name in spec.files:
            files[f"{directory}/{name}"] = env.get_template(
                f"images/{spec.directory}/{name}.j2"
            ).render(
                image=tag,
                directory=directory,
                frr=FRR_VERSION,
                strongswan=STRONGSWAN_VERSION,
                debian=DEBIAN,
            )
    return files


def _images_of(clab_file: Path) -> tuple[str, list[str]]:
    """The lab name and every image a containerlab file's nodes use."""
    from netsim.lab.clab.read import load_clab

    topology = load_clab(clab_file)
    return topology.file_name, sorted({n.image for n in topology.nodes.values() if n.image})


def docker_problem() -> str | None:
    """Why ``docker build`` cannot run here, or None."""
    docker = shutil.which("docker")
    if docker is None:
        return "there is no docker command on this machine"
    try:
        result = subprocess.run(
            [docker, "info", "--format", "{{.ServerVersion}}"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"docker info failed: {exc}"
    if result.returncode != 0:
        said = (result.stderr or result.stdout).strip().rstrip(".")
        return f"no Docker engine answers ({said})"
    return None


def build_images(clab_file: str | Path, *, dry_run: bool = False) -> list[str]:
    """``netsim lab image``: build the images of ``clab_file`` that netsim has Dockerfiles for.

    Returns one line per image (built, or the command with ``dry_run``). EnvironmentProblem
    (exit 3) where there is no Docker engine, naming the commands to run elsewhere.
    """
    path = Path(clab_file)
    lab, images = _images_of(path)
    commands = []
    for tag in images:
        spec = BUILT.get(tag)
        directory = path.parent / image_dir(lab, spec) if spec else None
        if directory is None or not (directory / "Dockerfile").is_file():
            continue
        commands.append((tag, ["docker", "build", "-t", tag, str(directory)]))
    if not commands:
        return [f"nothing to build: every image {path} names is public ({', '.join(images)})"]
    if dry_run:
        return [" ".join(argv) for _, argv in commands]
    problem = docker_problem()
    if problem is not None:
        listing = "\n  ".join(" ".join(argv) for _, argv in commands)
        raise EnvironmentProblem(
            f"netsim lab image needs a Docker engine, and {problem}. On a Docker host, run:\n  "
            f"{listing}\n(`netsim lab deploy` needs no image: it runs the host's FRR and "
            "strongSwan in namespaces)"
        )
    done = []
    for tag, argv in commands:
        try:
            result = subprocess.run(argv, timeout=DOCKER_TIMEOUT_S, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise LabError(f"{' '.join(argv)}: {exc}") from None
        if result.returncode != 0:
            raise LabError(f"{' '.join(argv)} failed (exit {result.returncode})")
        done.append(f"built {tag}")
    return done
