"""Print the shell commands of README.md's "Set up" section, one a line, in order.

A command is an indented (4-space) code line in that section; .ci/run runs each as written.
"""

import sys
from pathlib import Path


def setup_commands(readme: str) -> list[str]:
    commands, inside = [], False
    for line in readme.splitlines():
        if line.startswith("## "):
            inside = line.strip() == "## Set up"
            continue
        if inside and line.startswith("    ") and line.strip():
            commands.append(line.strip())
    return commands


if __name__ == "__main__":
    for command in setup_commands(Path(sys.argv[1]).read_text(encoding="utf-8")):
        print(command)
