"""Child Python processes (bench's start-up timing, membench's runs) that import this very videocam
package, whatever the working directory.

`python -c` and `python -m` put the working directory first on `sys.path`, so a `videocam/` folder
there (a user's project, a second checkout) was imported instead of the package that started the
child. The child drops that entry and, when this package's folder is not on its path already (a
checkout run in place), puts it first.
"""
from __future__ import annotations

import sys
from pathlib import Path


def package_root() -> str:
    """The folder that holds this `videocam` package (site-packages, or a checkout's root)."""
    import videocam
    return str(Path(videocam.__file__).resolve().parent.parent)


def _boot() -> str:
    return ("import os, sys\n"
            "_cwd = {'', os.getcwd(), os.path.realpath(os.getcwd())}\n"
            "sys.path[:] = [p for p in sys.path if p not in _cwd]\n"
            f"if {package_root()!r} not in sys.path:\n"
            f"    sys.path.insert(0, {package_root()!r})\n")


def python_command(code: str | None = None, module: str | None = None, args=()) -> list[str]:
    """argv for `python -c code` or `python -m module args...` that imports this videocam package."""
    if (code is None) == (module is None):
        raise ValueError("give code or module")
    if module is not None:
        code = f"import runpy\nrunpy.run_module({module!r}, run_name='__main__', alter_sys=True)\n"
    return [sys.executable, "-c", _boot() + code, *map(str, args)]
