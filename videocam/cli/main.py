"""The `videocam` command: parses arguments and calls the library.

Every user mistake ends as one line on stderr starting with `error:` and a
non-zero exit (2 for usage mistakes), never a traceback. Heavy imports
(TensorFlow) happen inside the command functions, so `--help` is instant.
"""
from __future__ import annotations

import argparse
import os
import sys

from videocam.errors import VideocamError

EXIT_USAGE = 2
EXIT_FAIL = 1


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2
        import re
        # argparse prefixes "argument --flag: " to a message that already names the flag: say it once
        message = re.sub(r"^argument (\S+): (\1\b)", r"\2", message)
        self.exit(EXIT_USAGE, f"error: {message} (see {self.prog} --help)\n")


# The commands, in the order `videocam --help` lists them; each module has `register(subparsers)`.
COMMANDS = ("run", "train", "enrol", "evaluate", "samples", "score", "report", "live", "bench", "compare", "cam",
            "shortcut", "ablate", "benchmark")


def build_parser() -> argparse.ArgumentParser:
    import importlib

    p = _Parser(prog="videocam", description="Who is on screen, and where? Class Activation Maps "
                "(GAP + softmax, Zhou et al. 2016) on video, from image-level labels only.")
    from videocam import __version__
    p.add_argument("--version", action="version", version=f"videocam {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for name in COMMANDS:
        importlib.import_module(f"videocam.cli.{name}").register(sub)
    return p


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code = args.func(args)
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except VideocamError as e:
        print(f"error: {e}", file=sys.stderr)
        return e.exit_code
    except OSError as e:
        # disk full, permission denied on output, ... : one line, no traceback
        where = f": {e.filename}" if getattr(e, "filename", None) else ""
        print(f"error: {e.strerror or e}{where}", file=sys.stderr)
        return EXIT_FAIL
    except Exception as e:  # noqa: BLE001 - a bug or a library failure: still one line
        if os.environ.get("VIDEOCAM_DEBUG"):
            raise
        text = " ".join(str(e).split())[:300] or "no message"
        print(f"error: unexpected {type(e).__name__}: {text} (VIDEOCAM_DEBUG=1 shows the traceback)",
              file=sys.stderr)
        return EXIT_FAIL
    return int(code or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
