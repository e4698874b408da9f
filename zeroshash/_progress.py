"""Progress where work is long: tqdm bars on a terminal, silence elsewhere.

* :func:`progress_bar` -- a :class:`tqdm.tqdm` bar drawn only when its stream (stderr
  unless told) is a terminal, so pipes, files, CI logs and captured test output stay
  clean. Bars are transient (``leave=False``): they vanish when closed.
* :func:`write_line` -- print one line at once (flushed), above any live bar.
* :func:`announce_compilation` -- installed by the numba kernel modules before their
  kernels are compiled: on numba's cache miss, one line on stderr says that the
  kernels are compiling and how long that usually takes; on a cache hit nothing.

Set the environment variable ``ZEROSHASH_PROGRESS=0`` (or ``false``, ``no``, ``off``)
to silence both the bars and the compile notice. tqdm and numba are imported on first
use, never by ``import zeroshash``.
"""

from __future__ import annotations

import os
import sys

__all__ = ["ENV_VAR", "announce_compilation", "progress_bar", "progress_enabled", "write_line"]

#: The switch: ``ZEROSHASH_PROGRESS=0`` silences bars and the compile notice.
ENV_VAR = "ZEROSHASH_PROGRESS"
_OFF = frozenset({"0", "false", "no", "off"})


def _switched_off() -> bool:
    return os.environ.get(ENV_VAR, "").strip().lower() in _OFF


def progress_enabled(file=None) -> bool:
    """Whether a bar would be drawn on ``file`` (stderr by default): a terminal, switch on."""
    if _switched_off():
        return False
    file = sys.stderr if file is None else file
    try:
        return bool(file.isatty())
    except (AttributeError, ValueError, OSError):  # no isatty, or a closed stream
        return False


def progress_bar(iterable=None, *, total=None, desc=None, file=None, **options):
    """A transient tqdm bar on ``file`` (stderr), disabled unless it is a terminal.

    ``options`` go to :class:`tqdm.tqdm` (``unit``, ``delay``, ``postfix`` ...). A
    disabled bar still iterates, counts and closes, and draws nothing.
    """
    from tqdm import tqdm

    file = sys.stderr if file is None else file
    options.setdefault("leave", False)
    options.setdefault("dynamic_ncols", True)
    return tqdm(iterable, total=total, desc=desc, file=file,
                disable=not progress_enabled(file), **options)


def write_line(text: str, file=None) -> None:
    """Print ``text`` and a newline on ``file`` (stdout) now, above any live bar."""
    file = sys.stdout if file is None else file
    tqdm_module = sys.modules.get("tqdm")
    if tqdm_module is None:  # no bar can be live
        print(text, file=file)
    else:
        tqdm_module.tqdm.write(text, file=file)
    file.flush()


# -- the compile notice --------------------------------------------------------------------
# What compiles, by the kernels' module, and how long it took with an empty numba cache
# (NUMBA_CACHE_DIR pointing to a new directory) on a 2-core machine: the Hamming engine
# 21 s (import of zeroshash.hamming.index, 1.7 s when cached), the ranking metrics 3 s.
_KERNELS = {
    "zeroshash.hamming": "the Hamming engine's numba kernels (usually about 20 s, "
    "up to 30 s on a busy machine)",
    "zeroshash._ranking_kernels": "the ranking metrics' numba kernels (a few seconds)",
}
_announced: set[str] = set()
_listener = None


def _kernel_group(dispatcher) -> str | None:
    module = getattr(getattr(dispatcher, "py_func", None), "__module__", None) or ""
    for group in _KERNELS:
        if module == group or module.startswith(group + "."):
            return group
    return None


def _compiling(dispatcher) -> None:
    """A numba dispatcher starts compiling (a cache miss): say so once per kernel group."""
    group = _kernel_group(dispatcher)
    if group is None or group in _announced:
        return
    _announced.add(group)
    if not _switched_off():
        write_line(f"zeroshash: compiling {_KERNELS[group]}; this happens once, then "
                   "numba's cache loads them", file=sys.stderr)


def announce_compilation() -> None:
    """Listen (once per process) for numba compiling zeroshash kernels; see the module.

    numba fires its ``numba:compile`` event only when a signature is not in its cache,
    so a warm cache says nothing.
    """
    global _listener
    if _listener is not None:
        return
    from numba.core import event

    class _CompileNotice(event.Listener):
        def on_start(self, ev):
            _compiling(ev.data.get("dispatcher"))

        def on_end(self, ev):
            pass

    _listener = _CompileNotice()
    event.register("numba:compile", _listener)
