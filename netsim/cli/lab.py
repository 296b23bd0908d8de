"""``netsim lab ...``: the emulation lab's sub-commands (added by :func:`register`).

::

    netsim lab deploy CLAB_FILE [--name NAME] [--vars FILE] [--timeout S] [--seed N]
                                [--psk-file FILE] [--keep-on-failure]
    netsim lab status [LAB] [--json]                    LAB: a lab name or its clab file
    netsim lab fail TARGET --mode MODE [--lab LAB]      down | blackhole | loss:P | delay:+X
                                                         | flap:DOWN/UP/COUNT
    netsim lab restore TARGET [--lab LAB]               TARGET may be "all"
    netsim lab destroy [LAB]
    netsim lab exec NODE [--lab LAB] CMD [ARG ...]       vtysh reaches the node's own FRR
    netsim lab export TOPOLOGY [--out DIR]
    netsim lab image CLAB_FILE [--dry-run]              docker build of the exported images
    netsim lab run SCENARIO [--out DIR] [--seed N] [--set KEY=VALUE ...]

Each handler returns an exit status (0 on success); errors are raised as
:class:`~netsim.errors.NetsimError` for ``cli.main`` to print: bad input 2, environment or
lab problems 3; ``lab run`` exits 1 when an SLO is violated.
"""

from __future__ import annotations

import argparse
import contextlib
import re
import signal
import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from netsim.cli.common import add_output, add_vars, check_out, print_json, seed_number
from netsim.errors import EXIT_OK
from netsim.lab import DEPLOY_TIMEOUT_S

if TYPE_CHECKING:
    from collections.abc import Iterator
    from types import FrameType

_FLAP = re.compile(r"^flap:([0-9.]+)/([0-9.]+)/([0-9]+)$")
_LAB_HELP = "a lab name or the containerlab file it was deployed from (default: the only lab)"


@contextlib.contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM (``kill``, ``timeout``, a cancelled CI job) stops a deploy as Ctrl-C does.

    Python's default for SIGTERM ends the process at once, leaving the half-made lab running
    until the next deploy of its name; raised as KeyboardInterrupt, the deploy destroys it.
    """

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt(signal.Signals(signum).name)

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def cmd_deploy(args: argparse.Namespace) -> int:
    from netsim.lab.live import lab as runner

    start = time.monotonic()
    with _terminate_as_interrupt():
        state = runner.deploy(
            args.clab_file,
            name=args.name,
            timeout=args.timeout,
            seed=args.seed,
            keep_on_failure=args.keep_on_failure,
            psk_file=args.psk_file,
            vars_files=args.vars or (),
        )
    took = time.monotonic() - start
    if args.json:
        print_json(
            {
                "lab": state.lab,
                "nodes": len(state.namespaces),
                "links": len(state.links),
                "state": str(state.directory),
                "seconds": round(took, 1),
            }
        )
    elif not args.quiet:
        print(
            f"lab {state.lab} is up ({took:.1f} s): {len(state.namespaces)} nodes, "
            f"{len(state.links)} links; state in {state.directory}"
        )
    return EXIT_OK


def cmd_status(args: argparse.Namespace) -> int:
    from netsim.lab.live import lab as runner
    from netsim.lab.live.deploy import require_environment

    require_environment(("ip",))
    report = runner.status(runner.find_lab(args.lab))
    if args.json:
        print(report.to_json())
    elif not args.quiet:
        print(report.format())
    return EXIT_OK


def cmd_fail(args: argparse.Namespace) -> int:
    from netsim.lab.live import lab as runner
    from netsim.lab.live.deploy import load_lab, require_environment
    from netsim.lab.live.faults import flap

    require_environment(("ip",))
    name = runner.find_lab(args.lab)
    match = _FLAP.match(args.mode)
    if match:
        topology, state = load_lab(name)
        down, up, count = float(match.group(1)), float(match.group(2)), int(match.group(3))
        flaps = list(flap(topology, state, args.target, down_s=down, up_s=up, count=count))
        if args.json:
            print_json([{"target": args.target, "down": a, "up": b} for a, b in flaps])
        elif not args.quiet:
            for failed, restored in flaps:
                print(f"{args.target}: down at {failed:.3f}, up at {restored:.3f}")
        return EXIT_OK
    changes = list(runner.fail(name, args.target, args.mode))
    if args.json:
        print_json(
            [{"target": c.target, "mode": c.mode, "kind": c.kind, "at": c.at} for c in changes]
        )
    elif not args.quiet:
        for change in changes:
            print(f"{change.target}: {change.mode} ({change.kind}) at {change.at:.3f}")
    return EXIT_OK


def cmd_restore(args: argparse.Namespace) -> int:
    from netsim.lab.live import lab as runner
    from netsim.lab.live.deploy import require_environment

    require_environment(("ip",))
    lines = list(runner.restore(runner.find_lab(args.lab), args.target))
    if args.json:
        print_json({"restored": lines})
    elif not args.quiet:
        for line in lines:
            print(line)
        if not lines:
            print("no fault to restore")
    return EXIT_OK


def cmd_destroy(args: argparse.Namespace) -> int:
    from netsim.lab.live import lab as runner
    from netsim.lab.live.deploy import require_environment

    require_environment(("ip",))
    name = runner.find_lab(args.lab)
    removed = runner.destroy(name)
    if args.json:
        print_json({"lab": name, "removed": [str(x) for x in removed]})
    elif not args.quiet:
        print(
            f"lab {name}: removed {len(removed)} item(s)"
            if removed
            else f"lab {name}: nothing to remove"
        )
    return EXIT_OK


def cmd_exec(args: argparse.Namespace) -> int:
    """Run a command in a node's namespace, as ``clab exec`` runs it in its container.

    ``vtysh`` is given ``-N <pathspace>`` so that it talks to the node's own daemons (each
    node's FRR has its own pathspace); the node's ``env`` is the command's environment. The
    command's own output and exit status are passed through.
    """
    import os
    import subprocess

    from netsim.errors import UsageError
    from netsim.lab.host.linux import own_hostname
    from netsim.lab.live import lab as runner
    from netsim.lab.live.deploy import load_lab, require_environment

    require_environment(("ip",))
    topology, state = load_lab(runner.find_lab(args.lab))
    node = topology.nodes.get(args.node)
    if node is None:
        raise UsageError(
            f"lab {state.lab} has no node {args.node!r} (nodes: {', '.join(topology.nodes)})"
        )
    argv = list(args.command)
    if argv[:1] == ["--"]:
        argv = argv[1:]
    if not argv:
        raise UsageError("netsim lab exec: no command to run (e.g. vtysh -c 'show bgp summary')")
    namespace = state.namespaces.get(node.name) or topology.namespace(node.name)
    if argv[0] == "vtysh" and node.runs_frr:
        argv = ["vtysh", "-N", namespace, *argv[1:]]
    env = {**os.environ, **node.env}
    result = subprocess.run(
        ["ip", "netns", "exec", namespace, *argv],
        env=env,
        check=False,
        # --json: the command's output goes into the document; --quiet: its stdout is
        # dropped (its errors still print)
        stdout=subprocess.PIPE if args.json else subprocess.DEVNULL if args.quiet else None,
        stderr=subprocess.PIPE if args.json else None,
        preexec_fn=lambda: own_hostname(node.host_name),  # as its daemons see it
    )
    if args.json:
        print_json(
            {
                "lab": state.lab,
                "node": node.name,
                "command": argv,
                "exit_status": result.returncode,
                "stdout": result.stdout.decode(errors="replace"),
                "stderr": result.stderr.decode(errors="replace"),
            }
        )
    return result.returncode


def cmd_export(args: argparse.Namespace) -> int:
    from netsim.lab.clab.render import export

    check_out(args.out)
    written = export(args.topology, args.out)
    if args.json:
        print_json({"written": [str(x) for x in written]})
    elif not args.quiet:
        print(f"wrote {written[0]} and {len(written) - 1} node config file(s)")
    return EXIT_OK


def cmd_image(args: argparse.Namespace) -> int:
    from netsim.lab.clab.images import build_images

    for line in build_images(args.clab_file, dry_run=args.dry_run):
        print(line)
    return EXIT_OK


def cmd_run(args: argparse.Namespace) -> int:
    from netsim.analysis.summary import summarize
    from netsim.cli.run import conclude
    from netsim.lab.live.deploy import require_environment
    from netsim.lab.live.play import playable, run_live
    from netsim.model.load_scenario import load_scenario
    from netsim.model.resolve import resolve_files
    from netsim.pipeline import default_out

    scenario = load_scenario(args.scenario, args.set)
    out = args.out or default_out(scenario, "-lab")
    check_out(out)  # before a deploy, not after the whole run
    require_environment(("ip", "tc", "vtysh", "swanctl"))
    seed = scenario.seed if args.seed is None else args.seed
    note = None
    if scenario.random_failures:
        # The simulator's own draw, so that both engines play the same schedule.
        from netsim.sim.arrivals import random_failures

        drawn = random_failures(scenario, seed)
        failures = tuple(sorted((*scenario.failures, *drawn), key=lambda f: f.at))
        scenario = replace(scenario, failures=failures, random_failures=False)
        note = f"random failures: the simulator's draw for seed {seed} ({len(drawn)} played)"
    with _terminate_as_interrupt():
        trace = run_live(scenario, out, seed)
    if trace.lab is not None and trace.lab.host_stalls:
        print(f"note: {trace.lab.notes[-1]}")  # the stalls' sentence, added last
    if note is not None and trace.lab is not None:
        trace.lab = replace(trace.lab, notes=(*trace.lab.notes, note))
    summary = summarize(trace, playable(scenario)[0])
    return conclude(
        out,
        trace,
        summary,
        args,
        "summary.json, attempts.parquet, timeline.jsonl, scenario.yaml, topology.yaml; lab "
        "files in lab/",
        files=resolve_files(args.scenario, args.set),
    )


def _positive(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be positive")
    return value


def _register_exec(verbs: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add `lab exec` (kept apart: `register` is long enough)."""
    p = verbs.add_parser(
        "exec",
        help="run a command in a node (vtysh reaches the node's own FRR)",
        description="Run a command in a deployed node's network namespace, as clab exec "
        "runs it in the node's container: `netsim lab exec r1 vtysh -c 'show bgp summary'`, "
        "`netsim lab exec PC1 ping -c1 192.168.12.2`. vtysh talks to the node's own daemons; "
        "the node's env is the command's environment; the command's exit status is netsim's.",
    )
    p.add_argument("node", metavar="NODE", help="the node, as the containerlab file names it")
    p.add_argument(
        "command",
        nargs=argparse.REMAINDER,
        metavar="CMD",
        help="the command (options of netsim before NODE)",
    )
    p.add_argument("--lab", metavar="LAB", help=_LAB_HELP)
    add_output(p, "the command's exit status, stdout and stderr")
    p.set_defaults(handler=cmd_exec)


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``lab`` and its sub-commands to the top-level sub-parsers."""
    lab = subparsers.add_parser(
        "lab",
        help="emulation lab: FRR + strongSwan in namespaces",
        description="Deploy containerlab files into Linux network namespaces with real FRR "
        "and strongSwan (no Docker; needs root), inject faults, inspect, play scenarios in "
        "real time, and export netsim topologies as containerlab files.",
    )
    verbs = lab.add_subparsers(dest="lab_verb", required=True, parser_class=type(lab))

    p = verbs.add_parser(
        "deploy",
        help="deploy a containerlab file without Docker",
        description="Create one network namespace per node and one veth pair (or relayed "
        "TAP pair) per link, start real FRR and strongSwan per node, and wait until every "
        "BGP session is Established, every BFD session up and every IPsec SA installed. "
        "Needs root.",
    )
    p.add_argument(
        "clab_file",
        type=Path,
        metavar="CLAB_FILE",
        help="containerlab file (YAML, or a Go template such as *.clab.gotmpl)",
    )
    add_vars(p)
    p.add_argument(
        "--name",
        metavar="NAME",
        help="the lab's name instead of the file's (as clab deploy --name): namespaces "
        "clab-NAME-<node>, so one file can run several times",
    )
    p.add_argument(
        "--psk-file",
        type=Path,
        metavar="FILE",
        help="IPsec pre-shared key for every tunnel whose key the configs leave out "
        "(default: $NETSIM_IPSEC_PSK, else a new random key per tunnel and deploy)",
    )
    p.add_argument(
        "--timeout",
        type=_positive,
        default=None,
        metavar="S",
        help=f"seconds to wait for BGP, BFD, OSPF and IPsec (default {DEPLOY_TIMEOUT_S:.0f}, "
        "plus the longest OSPF dead interval where nodes run OSPF: its DR election waits "
        "that long)",
    )
    p.add_argument(
        "--seed",
        type=seed_number,
        default=0,
        metavar="N",
        help="seed of the link delay/loss samples",
    )
    p.add_argument(
        "--keep-on-failure",
        action="store_true",
        help="leave a lab that did not come up in place for inspection",
    )
    add_output(p, "the lab's name, size and state directory")
    p.set_defaults(handler=cmd_deploy)

    p = verbs.add_parser(
        "status",
        help="nodes, BGP, BFD, IPsec SAs and paths of a lab",
        description="Show a deployed lab: its nodes, BGP and BFD sessions, IPsec SAs and "
        "the paths between the cloud hosts.",
    )
    p.add_argument("lab", nargs="?", metavar="LAB", help=_LAB_HELP)
    add_output(p, "the status")
    p.set_defaults(handler=cmd_status)

    p = verbs.add_parser(
        "fail",
        help="inject a fault on a link or node",
        description="Inject a fault into a deployed lab: a link down (carrier loss), a "
        "blackhole (nftables drop, carrier up), random loss, extra delay, a flapping link, "
        "or a node failure (its daemons stopped).",
    )
    p.add_argument(
        "target",
        metavar="TARGET",
        help="a link (its vars.name, a-b, or one end node:interface) or a node",
    )
    p.add_argument(
        "--mode", required=True, help="down | blackhole | loss:P | delay:+X | flap:DOWN/UP/COUNT"
    )
    p.add_argument("--lab", metavar="LAB", help=_LAB_HELP)
    add_output(p, "the changes made")
    p.set_defaults(handler=cmd_fail)

    p = verbs.add_parser(
        "restore",
        help="undo the faults on a link or node (or all)",
        description="Undo what netsim lab fail changed on a link or node, or on everything.",
    )
    p.add_argument("target", metavar="TARGET", help='a link or node name, or "all"')
    p.add_argument("--lab", metavar="LAB", help=_LAB_HELP)
    add_output(p, "what was restored")
    p.set_defaults(handler=cmd_restore)

    p = verbs.add_parser(
        "destroy",
        help="remove everything a lab created",
        description="Remove every namespace, interface, process and file the lab created "
        "(also after a crash of the deployer), and nothing else.",
    )
    p.add_argument("lab", nargs="?", metavar="LAB", help=_LAB_HELP)
    add_output(p, "what was removed")
    p.set_defaults(handler=cmd_destroy)

    _register_exec(verbs)

    p = verbs.add_parser(
        "export",
        help="write a containerlab file + configs for a topology",
        description="Render a netsim topology as a containerlab file with FRR and "
        "strongSwan configuration per node (valid against containerlab's schema).",
    )
    p.add_argument("topology", type=Path, metavar="TOPOLOGY", help="netsim topology YAML file")
    p.add_argument(
        "--out",
        type=Path,
        default=Path("topologies"),
        metavar="DIR",
        help="directory for <name>.clab.yml and <name>/ (default topologies/)",
    )
    add_output(p, "the files written")
    p.set_defaults(handler=cmd_export)

    p = verbs.add_parser(
        "image",
        help="build the images an exported lab names (needs Docker)",
        description="Build the container images an exported containerlab file names "
        "(FRR and strongSwan), so containerlab can deploy it with Docker.",
    )
    p.add_argument("clab_file", type=Path, metavar="CLAB_FILE", help="containerlab YAML file")
    p.add_argument(
        "--dry-run", action="store_true", help="print the docker build commands, run nothing"
    )
    add_output(p, "the build commands")
    p.set_defaults(handler=cmd_image)

    p = verbs.add_parser(
        "run",
        help="deploy, play a scenario in real time, collect, destroy",
        description="Deploy the scenario's topology, play its traffic and failures in real "
        "time, collect what the probes measured into a run directory the report reads "
        "(engine lab), and destroy the lab. Needs root.",
    )
    p.add_argument("scenario", type=Path, metavar="SCENARIO", help="scenario YAML file")
    p.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="output directory (default results/<scenario>-lab/)",
    )
    p.add_argument("--seed", type=seed_number, metavar="N", help="override the scenario's seed")
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a scenario key by dotted path",
    )
    add_output(p, "the summary.json document")
    p.set_defaults(handler=cmd_run)
