"""The sandbox templates render in: Jinja2's, tightened, with limits on time, output and size.

Templates are input: they may come from another team. They load only files inside their
own folder, see no Python internals (not even pydantic's model methods), and render under
limits on time, output, memory and the size of the values they build; whatever a template
raises becomes a TemplateError naming its file and line.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import re
import signal
import sys
import threading
import time
import types
from collections.abc import Callable, Generator, Iterator
from functools import lru_cache, update_wrapper
from pathlib import Path
from typing import Any

from jinja2 import BaseLoader, StrictUndefined, TemplateError as JinjaTemplateError
from jinja2 import TemplateNotFound, TemplateSyntaxError, UndefinedError, nodes
from jinja2.bccache import BytecodeCache
from jinja2.compiler import CodeGenerator
from jinja2.filters import do_format
from jinja2.sandbox import MAX_RANGE, ImmutableSandboxedEnvironment, SandboxedEnvironment, SecurityError
from jinja2.sandbox import SandboxedEscapeFormatter, SandboxedFormatter
from markupsafe import Markup
from pydantic import BaseModel

from .errors import TemplateError, printable
from .workspace import folder_name, path_refusal
from .workspace import display_path

RENDER_TIME_LIMIT = 300.0
"""Seconds one template may take to render before it is stopped."""

OUTPUT_LIMIT = 20_000_000
"""Characters one template may write for up to 100 statements; also the longest string or list it may build."""

WRITE_PIECE = 65_536
"""Characters of output a render gives its ``write`` at a time: a pack's markup in some twenty pieces per hundred statements."""

OUTPUT_PER_STATEMENT = 200_000
"""Characters a pack's template may write per statement, when that allows more than OUTPUT_LIMIT.

A statement takes about 14,000 characters in the default pack template, so a fixed limit
would stop a legitimate pack of 1,500 statements; this one grows with the pack.
"""

MEMORY_LIMIT: int | None = None
"""Bytes of memory a render may take beyond what the process holds, or None for no ceiling (Linux, main thread)."""

# The ceiling is off by default: it must read /proc/self/statm (a file outside the
# workspace) and it lowers a process-wide limit, RLIMIT_AS, while a template renders.
# Without it a template can still exhaust memory through filters, methods or the text
# of a structure full of shared references (see _memory_ceiling); 512 * 2**20 is a
# sensible value where that matters.

TEMPLATE_FILE_LIMIT = 2_000_000
"""Bytes one template file may hold."""

_MAX_FORMAT_WIDTH = 10_000  # widths and precisions in format specs: no template needs more
_MAX_INT_BITS = 100_000  # integers templates may build with * and **: about 30,000 digits
_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?.?", re.DOTALL)

# The deadline of the render in progress, read by the checks the sandbox runs on every call.
_DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar("briefgen_render_deadline", default=None)
_OUTPUT_LIMIT: contextvars.ContextVar[int | None] = contextvars.ContextVar("briefgen_render_output_limit", default=None)


def _output_limit() -> int:
    """Return the output limit of the render under way (OUTPUT_LIMIT outside one)."""
    return _OUTPUT_LIMIT.get() or OUTPUT_LIMIT


class _RenderLimitExceeded(Exception):
    """A template went over a limit on time, output, memory or the size of a value."""


class _TemplatePathRefused(JinjaTemplateError):
    """A template name leads outside its folder, or the file cannot be used as a template."""

    # Not a TemplateNotFound: ``{% include … ignore missing %}`` must not silence a refusal.


def _time_message() -> str:
    return f"rendering took longer than {RENDER_TIME_LIMIT:g} second{'s' * (RENDER_TIME_LIMIT != 1)}; is there an endless loop? (A pack of thousands of statements on a slow machine may need longer: split it.)"


def _check_deadline() -> None:
    """Stop the render in progress if it has run out of time."""
    deadline = _DEADLINE.get()
    if deadline is not None and time.monotonic() > deadline:
        raise _RenderLimitExceeded(_time_message())


def _check_format_spec(spec: str) -> None:
    """Refuse a format spec whose width or precision would build a huge string."""
    for number in re.findall(r"\d+", spec):
        if int(number) > _MAX_FORMAT_WIDTH:
            raise _RenderLimitExceeded(f"format width or precision {number} is over the limit of {_MAX_FORMAT_WIDTH:,}")


def _check_percent_format(pattern: str) -> None:
    """Refuse a ``%`` format whose widths would build a huge string, or come from the arguments (``*``)."""
    for width, precision in _PERCENT_SPEC.findall(pattern):
        for number in (width, precision):
            if number == "*":
                raise _RenderLimitExceeded("'*' widths in % formats are not allowed; write the width in the format")
            if number and int(number) > _MAX_FORMAT_WIDTH:
                raise _RenderLimitExceeded(f"format width or precision {number} is over the limit of {_MAX_FORMAT_WIDTH:,}")


def _check_product(left: Any, right: Any) -> None:
    """Refuse ``*`` that would repeat a string or list past the output limit, or build a huge integer."""
    if isinstance(left, int) and isinstance(right, int):
        if left.bit_length() + right.bit_length() > _MAX_INT_BITS:
            raise _RenderLimitExceeded(f"'*' would build an integer of more than {_MAX_INT_BITS:,} bits")
        return
    for sequence, count in ((left, right), (right, left)):
        if isinstance(sequence, (str, bytes, list, tuple)) and isinstance(count, int):
            if len(sequence) * count > _output_limit():
                raise _RenderLimitExceeded(f"'*' would build {len(sequence) * count:,} characters or items, more than the limit of {_output_limit():,}")


def _check_power(base: Any, exponent: Any) -> None:
    """Refuse ``**`` that would build a huge integer (Python cannot be interrupted while it computes one)."""
    if isinstance(base, int) and isinstance(exponent, int) and exponent > 0 and abs(base) > 1:
        if base.bit_length() * exponent > _MAX_INT_BITS:
            raise _RenderLimitExceeded(f"'**' would build an integer of more than {_MAX_INT_BITS:,} bits")


class _ClockedIterable:
    """What a template's ``{% for %}`` counts through: the items, with the render's clock checked as it goes."""

    __slots__ = ("items",)

    def __init__(self, items: Any) -> None:
        self.items = items

    def __iter__(self) -> Iterator[Any]:
        return _clocked(iter(self.items))

    def __len__(self) -> int:
        return len(self.items)  # a TypeError for unsized items makes jinja2 count them itself


def _clocked(items: Iterator[Any]) -> Iterator[Any]:
    # Every 1024 items: often enough to stop within a blink, rarely enough to cost nothing.
    for count, item in enumerate(items):
        if count % 1024 == 0:
            _check_deadline()
        yield item


class _GuardedCodeGenerator(CodeGenerator):
    """Compiles ``{% for %}`` to count through :class:`_ClockedIterable`, and ``~`` to check the length it builds."""

    # A loop whose body calls nothing never reaches the sandbox's hooks, and the timer
    # signal works only on the main thread of a POSIX system; the loops themselves
    # checking the clock stops an empty nested loop anywhere.
    def visit_For(self, node: nodes.For, frame: Any) -> None:
        """Compile a for loop whose items are wrapped in :class:`_ClockedIterable`."""
        clock = nodes.EnvironmentAttribute("clocked_iterable", lineno=node.iter.lineno)
        node.iter = nodes.Call(clock, [node.iter], [], None, None, lineno=node.iter.lineno)
        super().visit_For(node, frame)

    # ``~`` is no operator jinja2 lets a sandbox intercept; a string doubled with it in a
    # loop would reach gigabytes in a few steps, long before the output is counted.
    def visit_Concat(self, node: nodes.Concat, frame: Any) -> None:
        """Compile ``a ~ b`` so that a result longer than OUTPUT_LIMIT is refused."""
        self.write("environment.checked_length(")
        super().visit_Concat(node, frame)
        self.write(")")


def _checked_length(value: Any) -> Any:
    """Return ``value``, refusing a string or list longer than OUTPUT_LIMIT."""
    if isinstance(value, (str, bytes, list, tuple)) and len(value) > _output_limit():
        raise _RenderLimitExceeded(f"a value of {len(value):,} characters or items was built; the limit is {_output_limit():,}")
    return value


def _limited_range(*args: int) -> range:
    """``range`` for templates: at most jinja2's MAX_RANGE numbers, refused with the numbers asked for."""
    _check_deadline()
    numbers = range(*args)
    try:
        too_long = len(numbers) > MAX_RANGE
    except OverflowError:  # more numbers than Python can count
        too_long = True
    if too_long:
        raise _RenderLimitExceeded(f"range() of more than {MAX_RANGE:,} numbers is not allowed (asked for {numbers})")
    return numbers


def _limited_format_filter(value: Any, *args: Any, **kwargs: Any) -> str:
    """The ``format`` filter (``"%s"|format(x)``) with the limits of :func:`_check_percent_format`."""
    _check_percent_format(str(value))
    return do_format(value, *args, **kwargs)


class _LimitedFormatter(SandboxedFormatter):
    """``str.format`` for templates: sandboxed attribute lookups and bounded widths."""

    def format_field(self, value: Any, format_spec: str) -> Any:
        _check_format_spec(format_spec)
        return super().format_field(value, format_spec)


class _LimitedEscapeFormatter(_LimitedFormatter, SandboxedEscapeFormatter):
    """``Markup.format`` for templates: escaping, sandboxed lookups and bounded widths."""


_VERDICT_CACHE_LIMIT = 65_536
"""Most (type, attribute) verdicts one cache holds; past it, verdicts are judged afresh each time."""

# Judging an attribute took most of a render's time: isinstance against ABCs and
# hasattr through pydantic's metaclass, on every access. The verdicts depend only on the
# object's type and the attribute's name, so they are cached by exactly that pair.
_model_api_verdicts: dict[tuple[type, str], bool] = {}


def _cacheable_type(obj: Any) -> type | None:
    """Return ``type(obj)``, or None when ``obj`` claims another class (isinstance would then judge by that claim)."""
    cls = type(obj)
    return cls if obj.__class__ is cls else None


def _pydantic_internal(obj: Any, attr: str) -> bool:
    """Whether ``attr`` of ``obj`` is pydantic's API (parse_file reads files; model_* reach classes) rather than a field."""
    cls = _cacheable_type(obj)
    if cls is None:
        return isinstance(obj, BaseModel) and hasattr(BaseModel, attr)
    key = (cls, attr)
    verdict = _model_api_verdicts.get(key)
    if verdict is None:
        verdict = issubclass(cls, BaseModel) and hasattr(BaseModel, attr)
        if len(_model_api_verdicts) < _VERDICT_CACHE_LIMIT:
            _model_api_verdicts[key] = verdict
    return verdict


_METHOD_TYPES = (types.MethodType, types.BuiltinMethodType)
_DICT_ATTRIBUTES = frozenset(dir(dict))  # what getattr finds on a plain dict: its class's attributes only


class _GuardedEnvironment(ImmutableSandboxedEnvironment):
    """Jinja2's immutable sandbox, with bounded arithmetic and formats, a clock, and pydantic's API out of reach."""

    # Intercepted operators are also never folded at compile time, where no limit applies.
    intercepted_binops = frozenset({"*", "**", "%", "+"})
    code_generator_class = _GuardedCodeGenerator
    clocked_iterable = _ClockedIterable
    checked_length = staticmethod(_checked_length)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._attribute_verdicts: dict[tuple[type, str], bool] = {}
        # (type, name) pairs read before as plain safe attributes: neither pydantic's API
        # nor refused by is_safe_attribute. Templates read tens of thousands per pack.
        self._plain_attributes: set[tuple[type, str]] = set()

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        """Whether templates may read ``obj.attr``: jinja2's rules, and nothing pydantic's BaseModel defines."""
        # jinja2's rules (underscores, internals of functions, frames and generators,
        # methods that modify lists, dicts and sets) look at the object's type and the
        # name only, never at the value read; so a verdict holds for the (type, name) pair.
        cls = _cacheable_type(obj)
        if cls is None:
            return self._judge_attribute(obj, attr, value)
        key = (cls, attr)
        verdict = self._attribute_verdicts.get(key)
        if verdict is None:
            verdict = self._judge_attribute(obj, attr, value)
            if len(self._attribute_verdicts) < _VERDICT_CACHE_LIMIT:
                self._attribute_verdicts[key] = verdict
        return verdict

    def _judge_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        return not _pydantic_internal(obj, attr) and super().is_safe_attribute(obj, attr, value)

    def getattr(self, obj: Any, attribute: str) -> Any:
        """Look up ``obj.attribute`` for a template, refusing pydantic's API before it is even read."""
        cls = _cacheable_type(obj)
        if cls is dict and attribute not in _DICT_ATTRIBUTES:
            # jinja2 would try the attribute, fail (raising and catching AttributeError),
            # then read the item: a quarter of all reads at 100 statements.
            try:
                return obj[attribute]
            except KeyError:
                pass  # jinja2 then answers undefined
        if (cls, attribute) in self._plain_attributes:
            # Judged safe for this type and name before; what jinja2 does besides depends on
            # the value only where it is a method (str.format is wrapped).
            try:
                value = getattr(obj, attribute)
            except AttributeError:
                pass  # jinja2 then tries an item of that name
            else:
                if type(value) not in _METHOD_TYPES:
                    return value
        # jinja2 reads an attribute before judging it; some of pydantic's warn or compute when read.
        if _pydantic_internal(obj, attribute):
            return self.unsafe_undefined(obj, attribute)
        value = super().getattr(obj, attribute)
        if cls is not None and len(self._plain_attributes) < _VERDICT_CACHE_LIMIT and self._attribute_verdicts.get((cls, attribute)):
            self._plain_attributes.add((cls, attribute))
        return value

    def getitem(self, obj: Any, argument: Any) -> Any:
        """Look up ``obj[argument]`` for a template (which falls back to attributes), with the same refusal."""
        if isinstance(argument, str) and _pydantic_internal(obj, argument):
            return self.unsafe_undefined(obj, argument)
        return super().getitem(obj, argument)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        _check_deadline()
        if operator == "*":
            _check_product(left, right)
        elif operator == "**":
            _check_power(left, right)
        elif operator == "%" and isinstance(left, str):
            _check_percent_format(left)
        # ``+`` at most doubles; checking what it built stops a doubling loop at the limit.
        return _checked_length(super().call_binop(context, operator, left, right))

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805 (jinja2's signature)
        _check_deadline()
        return super().call(__context, __obj, *args, **kwargs)

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        # jinja2's own version, with formatters that also bound widths ({:>999999999}).
        if not isinstance(value, (types.MethodType, types.BuiltinMethodType)) or value.__name__ not in ("format", "format_map"):
            return None
        text = value.__self__
        if not isinstance(text, str):
            return None
        text_type = type(text)
        is_format_map = value.__name__ == "format_map"
        if isinstance(text, Markup):
            formatter: SandboxedFormatter = _LimitedEscapeFormatter(self, escape=text.escape)
        else:
            formatter = _LimitedFormatter(self)

        def wrapper(*args: Any, **kwargs: Any) -> str:
            if is_format_map:
                if kwargs or len(args) != 1:
                    raise TypeError("format_map() takes exactly one argument")
                kwargs, args = args[0], ()
            return text_type(formatter.vformat(text, args, kwargs))

        return update_wrapper(wrapper, value)


class _TemplateFolderLoader(BaseLoader):
    """Loads templates from one folder, refusing names and symbolic links that lead outside it."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.root = directory.resolve()

    def _refuse(self, name: str, reason: str) -> _TemplatePathRefused:
        return _TemplatePathRefused(f"template '{printable(name)}' {reason}")

    def get_source(self, environment: Any, template: str) -> tuple[str, str, Callable[[], bool]]:
        """Return the source, file name and an up-to-date check of the template named ``template``."""
        reason = path_refusal(template) or ("contains a backslash" if "\\" in template else "")
        if reason:
            raise self._refuse(template, f"{reason}; name a file inside {folder_name(self.directory)}")
        path = self.directory / template
        try:
            resolved = path.resolve()
            inside = resolved.is_relative_to(self.root)
            found = inside and resolved.is_file()
            if found:
                mtime = resolved.stat().st_mtime
                with resolved.open("rb") as handle:
                    data = handle.read(TEMPLATE_FILE_LIMIT + 1)
        except (OSError, RuntimeError) as exc:  # RuntimeError: a loop of symbolic links
            raise self._refuse(template, f"cannot be read: {getattr(exc, 'strerror', None) or exc}") from None
        if not inside:
            raise self._refuse(template, f"leads outside {folder_name(self.directory)} through a symbolic link")
        if not found:
            raise TemplateNotFound(template)
        if len(data) > TEMPLATE_FILE_LIMIT:
            raise self._refuse(template, f"is larger than {TEMPLATE_FILE_LIMIT:,} bytes")
        try:
            source = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise self._refuse(template, f"is not valid UTF-8 (byte {exc.start}); save it as UTF-8") from None

        def uptodate() -> bool:
            try:
                return resolved.stat().st_mtime == mtime
            except OSError:
                return False

        return source, str(path), uptodate


def make_environment(directory: Path, filters: dict[str, Callable], *, bytecode_cache: BytecodeCache | None = None) -> SandboxedEnvironment:
    """Return the sandboxed Jinja2 environment that renders the templates of ``directory`` with ``filters`` added, keeping compiled templates in ``bytecode_cache`` if given."""
    environment = _GuardedEnvironment(
        loader=_TemplateFolderLoader(directory),
        bytecode_cache=bytecode_cache,
        # Plain-text templates (*.txt.j2) are not HTML; everything else is escaped.
        autoescape=lambda name: not (name or "").endswith(".txt.j2"),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.globals["range"] = _limited_range
    environment.globals.pop("lipsum", None)  # a text generator: of no use, and unbounded
    environment.filters["format"] = _limited_format_filter
    environment.filters.update(filters)
    return environment


def format_wording(environment: Any, wording: dict[str, Any], key: str, fields: dict[str, Any]) -> str:
    """Fill in the pattern ``wording[key]``, which comes from the template folder, in the sandbox."""
    try:
        pattern = str(wording[key])
        if all(type(value) in (str, int) for value in fields.values()):
            # A pack formats the same few hundred dates thousands of times.
            return _fill_pattern(environment, pattern, tuple(fields.items()))
        return _LimitedFormatter(environment).vformat(pattern, (), fields)
    except (SecurityError, _RenderLimitExceeded) as exc:
        raise type(exc)(f"{key} of the wording: {exc}") from None
    except (LookupError, ValueError, AttributeError) as exc:
        raise ValueError(f"{key} of the wording cannot be filled in: {type(exc).__name__}: {exc}") from None


@lru_cache(maxsize=4096)
def _fill_pattern(environment: Any, pattern: str, fields: tuple[tuple[str, str | int], ...]) -> str:
    """Fill in ``pattern`` with ``fields`` (plain strings and integers only, so the result never changes)."""
    return _LimitedFormatter(environment).vformat(pattern, (), dict(fields))


@contextlib.contextmanager
def _alarm() -> Iterator[None]:
    """Interrupt the render with a timer signal once RENDER_TIME_LIMIT has passed (POSIX main thread only)."""
    if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        # Elsewhere the clock checks in loops and in the sandbox's hooks stop the render.
        yield
        return
    armed = [True]

    def on_alarm(signum: int, frame: Any) -> None:
        if armed[0]:
            raise _RenderLimitExceeded(_time_message())

    started = time.monotonic()
    previous_handler = signal.signal(signal.SIGALRM, on_alarm)
    # Repeat every second: an interruption swallowed by some `except Exception` is raised again.
    previous_delay, previous_interval = signal.setitimer(signal.ITIMER_REAL, RENDER_TIME_LIMIT, 1.0)
    try:
        yield
    finally:
        armed[0] = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous_handler if previous_handler is not None else signal.SIG_DFL)
        if previous_delay:
            remaining = max(previous_delay - (time.monotonic() - started), 0.001)
            signal.setitimer(signal.ITIMER_REAL, remaining, previous_interval)


@contextlib.contextmanager
def _memory_ceiling() -> Iterator[None]:
    """Cap the process's address space at its current size plus MEMORY_LIMIT (Linux main thread only)."""
    ceiling = None
    if MEMORY_LIMIT is not None and sys.platform.startswith("linux") and threading.current_thread() is threading.main_thread():
        try:
            import resource

            with open("/proc/self/statm", encoding="ascii") as statm:
                used = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
            soft, hard = resource.getrlimit(resource.RLIMIT_AS)
            ceiling = used + MEMORY_LIMIT if hard == resource.RLIM_INFINITY else min(used + MEMORY_LIMIT, hard)
            if soft != resource.RLIM_INFINITY and soft <= ceiling:
                ceiling = None  # already capped more tightly
            else:
                # Memory can grow faster than any clock check (one C call can fill it);
                # the ceiling turns that into a MemoryError instead of the machine swapping.
                resource.setrlimit(resource.RLIMIT_AS, (ceiling, hard))
        except (ImportError, OSError, ValueError):
            ceiling = None
    try:
        yield
    finally:
        if ceiling is not None:
            resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


@contextlib.contextmanager
def _render_limits(statements: int) -> Iterator[None]:
    """Apply the limits on time, output and memory to the render inside the block."""
    token = _DEADLINE.set(time.monotonic() + RENDER_TIME_LIMIT)
    limit_token = _OUTPUT_LIMIT.set(max(OUTPUT_LIMIT, OUTPUT_PER_STATEMENT * statements))
    try:
        with _alarm(), _memory_ceiling():
            yield
    finally:
        _OUTPUT_LIMIT.reset(limit_token)
        _DEADLINE.reset(token)


def _collect_output(chunks: Generator[str, None, None], write: Callable[[str], None] | None = None) -> str:
    """Join the output of a template's generator, stopping it at OUTPUT_LIMIT characters or the deadline; ``write``, if given, is also given the output in consecutive pieces of about WRITE_PIECE characters as it comes."""
    pieces: list[str] = []
    size = 0
    limit = _output_limit()
    written = written_size = 0  # the chunks given to write, and their size
    try:
        for chunk in chunks:
            size += len(chunk)
            pieces.append(chunk)
            if size > limit:
                raise _RenderLimitExceeded(f"the template wrote more than {limit:,} characters")
            _check_deadline()
            if write is not None and size - written_size >= WRITE_PIECE:
                write("".join(pieces[written:]))
                written, written_size = len(pieces), size
    except _RenderLimitExceeded as exc:
        if _template_position(exc)[0] is None:
            # Raised here, not in the template: raise it again where the template stands,
            # so the message can name its line.
            chunks.throw(exc.with_traceback(None))
        raise
    finally:
        chunks.close()
    if write is not None and written < len(pieces):
        write("".join(pieces[written:]))
    return "".join(pieces)


def _template_position(exc: BaseException) -> tuple[str | None, int | None]:
    """Return the template file and line where ``exc`` (or the exception it interrupted) arose."""
    if isinstance(exc, TemplateSyntaxError):
        return exc.filename or exc.name, exc.lineno
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        found: tuple[str | None, int | None] = (None, None)
        tb = current.__traceback__
        while tb is not None:
            frame_globals = tb.tb_frame.f_globals
            template = frame_globals.get("__jinja_template__")
            if template is not None:  # compiled template code, as it ran
                found = (template.filename or template.name, template.get_corresponding_lineno(tb.tb_lineno))
            elif "__jinja_exception__" in frame_globals:  # a frame jinja2 rewrote to show the template line
                found = (tb.tb_frame.f_code.co_filename, tb.tb_lineno)
            tb = tb.tb_next
        if found[0] is not None:
            return found
        current = current.__context__
    return None, None


def _shown_template(filename: str, directory: Path) -> str:
    """Name a template file in a message: relative to the working folder, or by folder and name."""
    try:
        relative = Path(filename).relative_to(directory)
    except ValueError:
        return filename
    shown = display_path(directory / relative)
    return shown if not shown.startswith("..") else f"{directory.name}/{relative.as_posix()}"


def _describe_failure(exc: Exception, directory: Path, name: str) -> str:
    """Return ``path:line: template error: message [code]`` for an exception raised while rendering."""
    filename, line = _template_position(exc)
    where = printable(_shown_template(filename or str(directory / name), directory)) + (f":{line}" if line else "")
    kind = "error"
    message = getattr(exc, "message", None) or str(exc)
    if isinstance(exc, TemplateSyntaxError):
        kind, code = "syntax", "template-syntax"
    elif isinstance(exc, SecurityError):
        code = "template-security"
    elif isinstance(exc, _TemplatePathRefused):
        code = "template-path"
    elif isinstance(exc, TemplateNotFound):
        code = "template-missing"
        if type(exc) is TemplateNotFound:
            message = f"no template '{printable(exc.name)}' in {folder_name(directory)}"
    elif isinstance(exc, UndefinedError):
        code = "template-undefined"
    elif isinstance(exc, _RenderLimitExceeded):
        code = "template-limit"
    elif isinstance(exc, MemoryError):
        limit = f"more than {MEMORY_LIMIT // 2**20:,} MB of" if MEMORY_LIMIT is not None else "more"
        code, message = "template-limit", f"rendering needed {limit} memory"
    elif isinstance(exc, RecursionError):
        code, message = "template-limit", "macros, includes or imports call themselves without end (recursion too deep)"
    elif isinstance(exc, JinjaTemplateError):
        code = "template-runtime"
    else:
        code, message = "template-runtime", f"{type(exc).__name__}: {exc}"
    message = " ".join(printable(part) for part in str(message).split()).rstrip(".")
    if len(message) > 300:
        message = message[:300] + "…"
    return f"{where}: template {kind}: {message} [{code}]"


def render(environment: SandboxedEnvironment, directory: Path, name: str, context: dict[str, Any], *, statements: int = 1, write: Callable[[str], None] | None = None) -> str:
    """Render template ``name`` of ``directory`` with ``context`` (about ``statements`` statements) under the limits; any failure is a TemplateError naming file and line.

    ``write``, if given, is also given the output in consecutive pieces as it is written
    (see :func:`_collect_output`); it must not raise.
    """
    try:
        with _render_limits(statements):
            template = environment.get_template(name)
            return _collect_output(template.generate(context), write)
    except Exception as exc:  # template code is input: whatever it raises is the template's error
        raise TemplateError(_describe_failure(exc, directory, name)) from None
