"""``python -m newscrawl.demo``: serve the bundled demo news sites on 127.0.0.1 until Ctrl-C."""

from __future__ import annotations

import argparse
import sys

from newscrawl.demo import outlets


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m newscrawl.demo",
        description="Serve the bundled demo news sites on 127.0.0.1 until Ctrl-C.",
    )
    parser.add_argument(
        "site", nargs="?", choices=outlets.DEMO_SITES, help="one outlet (default: all)"
    )
    parser.add_argument(
        "--port",
        type=int,
        default=outlets.DEMO_PORT,
        help="port of the gazette, the courier gets the next one (default: %(default)s, the "
        "addresses `newscrawl demo` stores; 0: any free ports)",
    )
    parser.add_argument(
        "--sources",
        action="store_true",
        help="print a sources.toml for the servers on stdout (the server lines go to stderr)",
    )
    args = parser.parse_args(argv)
    sites = (args.site,) if args.site else outlets.DEMO_SITES
    with outlets.stop_signals() as stop:
        try:
            servers = outlets.serve_demo(sites=sites, port=args.port)
        except outlets.PortInUseError as exc:
            parser.exit(1, f"error: {exc}\n")
        try:
            for name, server in servers.items():
                print(f"{name}: {server.base_url}/", file=sys.stderr, flush=True)  # noqa: T201
            if args.sources:
                print(outlets.demo_sources_toml(servers), end="", flush=True)  # noqa: T201
            outlets.wait_until(stop)
        finally:
            outlets.stop_all(servers)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
