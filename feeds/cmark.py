"""CommonMark to HTML with cmark-gfm (in C), freeing what each rendering allocates.

cmarkgfm's `markdown_to_html_with_extensions` never frees the document it parses nor the
HTML buffer it renders (its issue #53): about 3 KB per article summary and 11 KB per
article body. At 100,000 articles, each worker that read them grew by about 120 MB; a watcher
that runs for weeks grows with every article it publishes. Its bindings do not declare the
two functions that free them, so they are called from the same library through ctypes;
where that library cannot be opened so, the wrapper is used as it is (and leaks).
"""

from __future__ import annotations

import ctypes
import functools
from typing import Any

EXTENSIONS = ("table", "strikethrough")
"""GitHub's tables and strikethrough."""


def markdown_html(text: str) -> str:
    """`text` as HTML, raw HTML kept (it is sanitised later, like every other HTML)."""
    from cmarkgfm import _cmark

    native = _native()
    if native is None:  # pragma: no cover (the library is not one ctypes can open)
        import cmarkgfm
        from cmarkgfm.cmark import Options

        return str(
            cmarkgfm.markdown_to_html_with_extensions(
                text, options=Options.CMARK_OPT_UNSAFE, extensions=list(EXTENSIONS)
            )
        )
    lib, ffi = _cmark.lib, _cmark.ffi
    options = lib.CMARK_OPT_UNSAFE
    encoded = text.encode("utf-8")
    parser = lib.cmark_parser_new(options)
    try:
        for extension in _extensions():
            lib.cmark_parser_attach_syntax_extension(parser, extension)
        lib.cmark_parser_feed(parser, encoded, len(encoded))
        root = lib.cmark_parser_finish(parser)  # the caller's to free
        try:
            rendered = lib.cmark_render_html(root, options, lib.cmark_parser_get_syntax_extensions(parser))
            try:
                return str(ffi.string(rendered).decode("utf-8"))
            finally:
                native.free(_address(ffi, rendered))
        finally:
            native.node_free(_address(ffi, root))
    finally:
        lib.cmark_parser_free(parser)


class _Native:
    """The two functions of the loaded cmark-gfm that its bindings leave out."""

    def __init__(self, library: ctypes.CDLL) -> None:
        self.node_free = library.cmark_node_free
        self.node_free.argtypes, self.node_free.restype = [ctypes.c_void_p], None
        allocator = library.cmark_get_default_mem_allocator
        allocator.restype = ctypes.POINTER(_Allocator)
        # The buffer is freed by the allocator that made it, whatever C runtime that is.
        self.free = allocator().contents.free


class _Allocator(ctypes.Structure):
    """cmark's `cmark_mem`."""

    _fields_ = [
        ("calloc", ctypes.CFUNCTYPE(ctypes.c_void_p, ctypes.c_size_t, ctypes.c_size_t)),
        ("realloc", ctypes.CFUNCTYPE(ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t)),
        ("free", ctypes.CFUNCTYPE(None, ctypes.c_void_p)),
    ]


@functools.cache
def _native() -> _Native | None:
    from cmarkgfm import _cmark

    try:  # the library already loaded: opening it again gives the same one
        return _Native(ctypes.CDLL(_cmark.__file__))
    except (OSError, AttributeError):
        return None


@functools.cache
def _extensions() -> tuple[Any, ...]:
    from cmarkgfm import _cmark

    _cmark.lib.cmark_gfm_core_extensions_ensure_registered()
    found = tuple(_cmark.lib.cmark_find_syntax_extension(name.encode()) for name in EXTENSIONS)
    if any(extension == _cmark.ffi.NULL for extension in found):
        raise RuntimeError(f"cmark-gfm lacks one of the extensions {EXTENSIONS}")
    return found


def _address(ffi: Any, pointer: Any) -> int:
    return int(ffi.cast("uintptr_t", pointer))
