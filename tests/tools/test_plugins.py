"""Plugins: discovery from directories and entry points, schemas, calls, instances, cleanup."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from importlib.metadata import EntryPoint
from pathlib import Path
from typing import Any

import anyio.to_thread
import jsonschema
import pytest

from llm_pytest.errors import SourceLocation, SpecError, ToolError
from llm_pytest.tools.plugins.loader import (
    ENTRY_POINT_GROUP,
    discover_plugin_classes,
    discover_plugins,
    plugin_tools,
)
from llm_pytest.tools.registry import Tool, ToolContext, ToolRegistry

SEED_MY_PLUGIN = '''\
from llm_pytest import LLMPlugin

class MyPlugin(LLMPlugin):
    name = "my_plugin"

    async def my_tool(self, arg1: str, arg2: int = 10) -> dict:
        """Description of what this tool does."""
        # Implementation
        return {"result": "value"}

    async def cleanup(self) -> None:
        """Cleanup resources when tests finish."""
        pass
'''

SEED_BROWSER_PLUGIN = '''\
from llm_pytest import LLMPlugin
from playwright.async_api import async_playwright

class BrowserPlugin(LLMPlugin):
    name = "browser"

    def __init__(self):
        super().__init__()
        self._playwright = None
        self._browser = None
        self._page = None

    async def open_page(self, url: str) -> dict:
        """Open a URL in the browser."""
        self._playwright = await async_playwright().start()
        self._browser = await self._playwright.chromium.launch()
        self._page = await self._browser.new_page()
        await self._page.goto(url)
        return {"status": "opened", "url": url}

    async def get_title(self) -> dict:
        """Get the page title."""
        title = await self._page.title()
        return {"title": title}

    async def cleanup(self) -> None:
        if self._browser:
            await self._browser.close()
        if self._playwright:
            await self._playwright.stop()
'''

# The seed's browser plugin with an in-memory page instead of playwright: same shape, same
# lifecycle (constructor without arguments, state on the instance, async cleanup).
FAKE_BROWSER_PLUGIN = '''\
from llm_pytest.tools.plugins.loader import LLMPlugin

EVENTS: list[str] = []


class BrowserPlugin(LLMPlugin):
    name = "browser"

    def __init__(self):
        super().__init__()
        self._page = None
        EVENTS.append(f"init {id(self)}")

    async def open_page(self, url: str) -> dict:
        """Open a URL in the browser."""
        self._page = {"url": url, "title": "Dashboard"}
        return {"status": "opened", "url": url, "instance": id(self)}

    async def get_title(self) -> dict:
        """Get the page title."""
        return {"title": self._page["title"], "instance": id(self)}

    async def crash(self) -> dict:
        """Fail like a broken page would."""
        raise ValueError("page crashed")

    async def cleanup(self) -> None:
        EVENTS.append(f"cleanup {id(self)}")
'''


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def plugin_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "plugins"
    directory.mkdir()
    return directory


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(textwrap.dedent(text))
    return path


def tools_of(directory: Path) -> dict[str, Tool]:
    return {tool.name: tool for tool in discover_plugins([directory], entry_points=False)}


def load(directory: Path) -> tuple[ToolRegistry, Any]:
    """The registry of the single plugin in ``directory``, and the module that defines it."""
    (cls,) = discover_plugin_classes([directory], entry_points=False)
    return ToolRegistry(plugin_tools(cls)), sys.modules[cls.__module__]


async def call(registry: ToolRegistry, ctx: ToolContext, name: str, **args: Any) -> Any:
    """Call a tool the way the runner does: validate, then await or run in a thread."""
    assert registry.validate(name, args) == []
    tool = registry.get(name)
    if tool.blocking:
        return await anyio.to_thread.run_sync(tool.func, ctx, args)
    return await tool.func(ctx, args)


def load_error(directory: Path) -> SpecError:
    with pytest.raises(SpecError) as err:
        discover_plugins([directory], entry_points=False)
    return err.value


# --- the README's plugins -------------------------------------------------------------------


@pytest.mark.anyio
async def test_seed_readme_plugin_loads_verbatim_and_its_tool_is_called(plugin_dir: Path) -> None:
    write(plugin_dir, "my_plugin.py", SEED_MY_PLUGIN)
    tools = tools_of(plugin_dir)
    assert list(tools) == ["my_plugin_my_tool", "my_plugin_cleanup"]
    tool = tools["my_plugin_my_tool"]
    assert tool.description == "Description of what this tool does."
    assert tool.source == "plugin my_plugin"
    assert tool.input_schema == {
        "type": "object",
        "properties": {"arg1": {"type": "string"}, "arg2": {"type": "integer", "default": 10}},
        "required": ["arg1"],
        "additionalProperties": False,
    }
    registry = ToolRegistry(tools.values())
    ctx = ToolContext(env={})
    result = await call(registry, ctx, "my_plugin_my_tool", arg1="hello", arg2=42)
    assert result == {"result": "value"}
    assert await call(registry, ctx, "my_plugin_cleanup") == {
        "plugin": "my_plugin",
        "cleaned_up": True,
    }
    await ctx.aclose()


def test_seed_browser_plugin_without_playwright_is_a_located_import_error(
    plugin_dir: Path,
) -> None:
    path = write(plugin_dir, "browser.py", SEED_BROWSER_PLUGIN)
    error = load_error(plugin_dir)
    assert error.location == SourceLocation(str(path), 2, 1)
    assert str(error) == (
        f"{path}:2:1: plugin failed to import: ModuleNotFoundError: No module named 'playwright'"
    )
    assert error.hint is not None
    assert "pip install playwright" in error.hint
    assert "from playwright.async_api import async_playwright" in error.render()


@pytest.mark.anyio
async def test_browser_style_plugin_keeps_one_instance_per_run_and_teardown_cleans_once(
    plugin_dir: Path,
) -> None:
    write(plugin_dir, "browser.py", FAKE_BROWSER_PLUGIN)
    registry, module = load(plugin_dir)
    events = module.EVENTS
    first, second = ToolContext(env={}), ToolContext(env={})

    opened = await call(registry, first, "browser_open_page", url="http://127.0.0.1:8000")
    title = await call(registry, first, "browser_get_title")
    other = await call(registry, second, "browser_open_page", url="http://127.0.0.1:8001")
    assert title == {"title": "Dashboard", "instance": opened["instance"]}
    assert other["instance"] != opened["instance"]

    # teardown: `- tool: browser_cleanup`, then the run ends
    assert await call(registry, first, "browser_cleanup") == {
        "plugin": "browser",
        "cleaned_up": True,
    }
    await first.aclose()
    await second.aclose()
    assert sorted(events) == sorted(
        [
            f"init {opened['instance']}",
            f"init {other['instance']}",
            f"cleanup {opened['instance']}",
            f"cleanup {other['instance']}",
        ]
    )


@pytest.mark.anyio
async def test_cleanup_is_awaited_when_the_run_ends_even_after_a_failing_method(
    plugin_dir: Path,
) -> None:
    write(plugin_dir, "browser.py", FAKE_BROWSER_PLUGIN)
    registry, module = load(plugin_dir)
    events = module.EVENTS
    ctx = ToolContext(env={})
    with pytest.raises(ValueError, match="page crashed"):
        await call(registry, ctx, "browser_crash")
    await ctx.aclose()
    assert [e.split()[0] for e in events] == ["init", "cleanup"]


@pytest.mark.anyio
async def test_cleanup_tool_without_an_instance_creates_none_and_does_nothing(
    plugin_dir: Path,
) -> None:
    write(plugin_dir, "browser.py", FAKE_BROWSER_PLUGIN)
    registry, module = load(plugin_dir)
    events = module.EVENTS
    ctx = ToolContext(env={})
    result = await call(registry, ctx, "browser_cleanup")
    assert result == {"plugin": "browser", "cleaned_up": False}
    await ctx.aclose()
    assert events == []


@pytest.mark.anyio
async def test_a_call_after_the_cleanup_tool_gets_a_fresh_instance_cleaned_at_the_end(
    plugin_dir: Path,
) -> None:
    write(plugin_dir, "browser.py", FAKE_BROWSER_PLUGIN)
    registry, module = load(plugin_dir)
    events = module.EVENTS
    ctx = ToolContext(env={})
    before = await call(registry, ctx, "browser_open_page", url="http://127.0.0.1/")
    await call(registry, ctx, "browser_cleanup")
    after = await call(registry, ctx, "browser_open_page", url="http://127.0.0.1/")
    await ctx.aclose()
    assert events == [
        f"init {before['instance']}",
        f"cleanup {before['instance']}",
        f"init {after['instance']}",
        f"cleanup {after['instance']}",
    ]


# --- methods, schemas and calls -------------------------------------------------------------

TYPED_PLUGIN = '''\
from __future__ import annotations

import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from llm_pytest.tools.plugins.loader import LLMPlugin

CLEANUPS: list[str] = []


class User(BaseModel):
    name: str
    age: int = 0


class Opaque:
    def __str__(self) -> str:
        return "<opaque thing>"


class Database(LLMPlugin):
    """A fake database."""

    name = "db"

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[User] = []

    def insert(
        self,
        user: User,
        tags: list[str] | None = None,
        *,
        mode: Literal["strict", "lenient"] = "strict",
        json: dict[str, float] = {},
        note: Annotated[str, Field(description="Free text.")] = "",
    ) -> User:
        """Insert a user and return it.

        The row is kept for the rest of the run.

        Args:
            user: The user to insert,
                with all its fields.
            tags (list[str]): Labels for the row.
            mode: How strictly to check the user.

        Returns:
            The inserted user.
        """
        assert isinstance(user, User)
        self.rows.append(user)
        return user

    async def count(self) -> dict:
        return {"rows": len(self.rows), "at": datetime.datetime(2025, 1, 2, 3, 4, 5)}

    async def opaque(self) -> Opaque:
        """Return something that is not data."""
        return Opaque()

    def _helper(self) -> None:
        """Private: not a tool."""

    def cleanup(self) -> None:
        CLEANUPS.append("db")
'''


@pytest.fixture
def typed(plugin_dir: Path) -> dict[str, Tool]:
    write(plugin_dir, "database.py", TYPED_PLUGIN)
    return tools_of(plugin_dir)


@pytest.fixture
def database(plugin_dir: Path) -> tuple[ToolRegistry, Any]:
    write(plugin_dir, "database.py", TYPED_PLUGIN)
    return load(plugin_dir)


def test_public_methods_become_tools_and_private_ones_do_not(typed: dict[str, Tool]) -> None:
    assert list(typed) == ["db_insert", "db_count", "db_opaque", "db_cleanup"]
    assert typed["db_insert"].blocking
    assert not typed["db_count"].blocking


def test_schema_comes_from_type_hints_defaults_and_google_docstring(
    typed: dict[str, Tool],
) -> None:
    tool = typed["db_insert"]
    assert tool.description == "Insert a user and return it."
    schema = tool.input_schema
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["required"] == ["user"]
    assert schema["additionalProperties"] is False
    props = schema["properties"]
    assert props["user"] == {
        "$ref": "#/$defs/User",
        "description": "The user to insert, with all its fields.",
    }
    assert props["tags"] == {
        "anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "null"}],
        "default": None,
        "description": "Labels for the row.",
    }
    assert props["mode"] == {
        "enum": ["strict", "lenient"],
        "type": "string",
        "default": "strict",
        "description": "How strictly to check the user.",
    }
    assert props["json"] == {
        "type": "object",
        "additionalProperties": {"type": "number"},
        "default": {},
    }
    assert props["note"] == {"type": "string", "default": "", "description": "Free text."}


def test_a_method_without_docstring_still_gets_a_description(typed: dict[str, Tool]) -> None:
    assert typed["db_count"].description == "`count` of the db plugin (Database)."


def test_bad_arguments_are_reported_by_the_registry(typed: dict[str, Tool]) -> None:
    registry = ToolRegistry(typed.values())
    assert registry.validate("db_insert", {"user": {"name": "a"}, "mode": "sloppy"}) == [
        "`args.mode`: 'sloppy' is not one of ['strict', 'lenient']"
    ]
    assert registry.validate("db_insert", {}) == ["the arguments: missing required argument 'user'"]
    assert registry.validate("db_count", {"extra": 1}) == [
        "the arguments: Additional properties are not allowed ('extra' was unexpected)"
    ]


@pytest.mark.anyio
async def test_arguments_are_converted_to_declared_types_and_results_to_data(
    database: tuple[ToolRegistry, Any],
) -> None:
    registry, module = database
    ctx = ToolContext(env={})
    inserted = await call(registry, ctx, "db_insert", user={"name": "Alice", "age": 30})
    assert inserted == {"name": "Alice", "age": 30}
    assert await call(registry, ctx, "db_count") == {"rows": 1, "at": "2025-01-02T03:04:05"}
    assert await call(registry, ctx, "db_opaque") == "<opaque thing>"
    await ctx.aclose()
    assert module.CLEANUPS == ["db"]


@pytest.mark.anyio
async def test_static_and_class_methods_become_tools_without_their_bound_parameter(
    plugin_dir: Path,
) -> None:
    write(
        plugin_dir,
        "kinds.py",
        """\
        from llm_pytest import LLMPlugin

        class Kinds(LLMPlugin):
            name = "kinds"
            unit = "cm"

            @staticmethod
            def double(n: int) -> int:
                return 2 * n

            @classmethod
            async def measure(cls, n: int) -> str:
                return f"{n} {cls.unit}"
        """,
    )
    registry, _ = load(plugin_dir)
    assert registry.get("kinds_double").input_schema["required"] == ["n"]
    assert registry.get("kinds_measure").input_schema["required"] == ["n"]
    ctx = ToolContext(env={})
    assert await call(registry, ctx, "kinds_double", n=4) == 8
    assert await call(registry, ctx, "kinds_measure", n=3) == "3 cm"
    await ctx.aclose()


def test_an_async_generator_method_is_refused_with_its_location(plugin_dir: Path) -> None:
    path = write(
        plugin_dir,
        "gen.py",
        """\
        from llm_pytest import LLMPlugin

        class Gen(LLMPlugin):
            name = "gen"

            async def rows(self):
                yield 1
        """,
    )
    error = load_error(plugin_dir)
    assert (
        str(error) == f"{path}:6:5: method `Gen.rows` is an async generator, which cannot be a tool"
    )


@pytest.mark.anyio
async def test_bytes_in_a_result_are_text_when_utf8_and_base64_otherwise(
    plugin_dir: Path,
) -> None:
    write(
        plugin_dir,
        "raw.py",
        """\
        from llm_pytest import LLMPlugin

        class Raw(LLMPlugin):
            name = "raw"

            def read(self, utf8: bool) -> dict:
                return {"data": b"caf\\xc3\\xa9" if utf8 else b"\\xff\\x00"}
        """,
    )
    registry, _ = load(plugin_dir)
    ctx = ToolContext(env={})
    assert await call(registry, ctx, "raw_read", utf8=True) == {"data": "café"}
    assert await call(registry, ctx, "raw_read", utf8=False) == {"data": "_wA="}
    await ctx.aclose()


# --- discovery -------------------------------------------------------------------------------


def test_underscore_files_are_not_plugins_but_plugins_can_import_them(plugin_dir: Path) -> None:
    write(
        plugin_dir,
        "_shared.py",
        """\
        from llm_pytest import LLMPlugin

        class _Base(LLMPlugin):
            def ping(self) -> str:
                return "pong"
        """,
    )
    write(
        plugin_dir,
        "api.py",
        """\
        from ._shared import _Base

        class Api(_Base):
            name = "api"

            def status(self) -> dict:
                return {"up": True}
        """,
    )
    assert list(tools_of(plugin_dir)) == ["api_ping", "api_status", "api_cleanup"]


def test_discovering_again_reads_the_files_as_they_are_now(plugin_dir: Path) -> None:
    plugin = """\
        from llm_pytest import LLMPlugin
        from ._version import VERSION

        class Versioned(LLMPlugin):
            name = "versioned"

            def version(self) -> str:
                return VERSION
        """
    write(plugin_dir, "versioned.py", plugin)
    for version in ("one", "two-two"):
        write(plugin_dir, "_version.py", f"VERSION = {version!r}\n")
        tool = tools_of(plugin_dir)["versioned_version"]
        assert tool.func(ToolContext(env={}), {}) == version


def test_two_projects_with_the_same_plugin_file_name_do_not_clash(tmp_path: Path) -> None:
    dirs = []
    for project in ("alpha", "beta"):
        directory = tmp_path / project / "plugins"
        directory.mkdir(parents=True)
        write(
            directory,
            "my_plugin.py",
            f"""\
            from llm_pytest import LLMPlugin

            class P(LLMPlugin):
                name = "{project}"

                def which(self) -> str:
                    return "{project}"
            """,
        )
        dirs.append(directory)
    tools = discover_plugins(dirs, entry_points=False)
    assert [t.name for t in tools] == ["alpha_which", "alpha_cleanup", "beta_which", "beta_cleanup"]
    assert tools[0].func(ToolContext(env={}), {}) == "alpha"
    assert tools[2].func(ToolContext(env={}), {}) == "beta"


def test_a_missing_plugin_directory_gives_no_plugins(tmp_path: Path) -> None:
    assert discover_plugins([tmp_path / "absent"], entry_points=False) == []


# --- errors ----------------------------------------------------------------------------------


def test_syntax_error_is_located_at_its_line(plugin_dir: Path) -> None:
    path = write(
        plugin_dir,
        "broken.py",
        """\
        from llm_pytest import LLMPlugin

        class Broken(LLMPlugin):
            name = "broken"
            def go(self) -> dict
                return {}
        """,
    )
    error = load_error(plugin_dir)
    assert error.location is not None
    assert (error.location.path, error.location.line) == (str(path), 5)
    assert error.message.startswith("plugin failed to import: SyntaxError: ")


def test_exception_at_import_is_located_at_the_deepest_line_of_the_plugin_file(
    plugin_dir: Path,
) -> None:
    path = write(
        plugin_dir,
        "configured.py",
        """\
        def load_config():
            raise RuntimeError("API_URL is not set")

        CONFIG = load_config()
        """,
    )
    error = load_error(plugin_dir)
    assert error.location == SourceLocation(str(path), 2, 5)
    assert error.message == "plugin failed to import: RuntimeError: API_URL is not set"


def test_sys_exit_at_import_is_a_plugin_error_located_at_its_line(plugin_dir: Path) -> None:
    path = write(plugin_dir, "quitter.py", "import sys\n\nsys.exit('no API key')\n")
    error = load_error(plugin_dir)
    assert error.location == SourceLocation(str(path), 3, 1)
    assert error.message == "plugin failed to import: SystemExit: no API key"


@pytest.mark.anyio
async def test_sys_exit_in_cleanup_is_an_error_naming_the_plugin_and_its_line(
    plugin_dir: Path,
) -> None:
    path = write(
        plugin_dir,
        "quitter.py",
        """\
        import sys

        from llm_pytest import LLMPlugin

        class Quitter(LLMPlugin):
            name = "quitter"

            async def ping(self) -> dict:
                return {}

            async def cleanup(self) -> None:
                sys.exit(4)
        """,
    )
    tools = tools_of(plugin_dir)
    ctx = ToolContext(env={})
    await tools["quitter_ping"].func(ctx, {})
    with pytest.raises(ToolError) as err:
        await ctx.aclose()
    assert str(err.value) == f"cleanup of the quitter plugin raised SystemExit(4) at {path}:12"


def test_a_plugin_without_name_is_an_error_naming_the_class(plugin_dir: Path) -> None:
    path = write(
        plugin_dir,
        "nameless.py",
        """\
        from llm_pytest import LLMPlugin


        class Nameless(LLMPlugin):
            def go(self) -> None: ...
        """,
    )
    error = load_error(plugin_dir)
    assert str(error) == f"{path}:4:1: plugin class `Nameless` has no `name`"
    assert error.hint is not None
    assert 'name = "my_plugin"' in error.hint


def test_a_plugin_name_with_spaces_is_refused(plugin_dir: Path) -> None:
    write(
        plugin_dir,
        "spaced.py",
        """\
        from llm_pytest import LLMPlugin

        class Spaced(LLMPlugin):
            name = "my plugin"
        """,
    )
    assert load_error(plugin_dir).message == (
        "plugin class `Spaced` has an invalid `name` 'my plugin'"
    )


def test_two_plugins_with_the_same_name_are_an_error_naming_both(plugin_dir: Path) -> None:
    for file, cls in (("one.py", "One"), ("two.py", "Two")):
        write(
            plugin_dir,
            file,
            f"""\
            from llm_pytest import LLMPlugin

            class {cls}(LLMPlugin):
                name = "same"
            """,
        )
    error = load_error(plugin_dir)
    assert error.message == (
        f"two plugins are named `same`: `One` ({plugin_dir / 'one.py'}) "
        f"and `Two` ({plugin_dir / 'two.py'})"
    )


def test_star_args_cannot_become_a_schema_and_the_error_names_the_method(
    plugin_dir: Path,
) -> None:
    path = write(
        plugin_dir,
        "variadic.py",
        """\
        from llm_pytest import LLMPlugin

        class Variadic(LLMPlugin):
            name = "variadic"

            async def run(self, *commands: str) -> None: ...
        """,
    )
    error = load_error(plugin_dir)
    assert str(error) == (
        f"{path}:6:5: method `Variadic.run`: parameter `*commands: str` "
        "cannot be given by name from a spec"
    )


def test_a_parameter_type_without_schema_is_an_error_naming_the_method(plugin_dir: Path) -> None:
    write(
        plugin_dir,
        "weird.py",
        """\
        from llm_pytest import LLMPlugin

        class Thing:
            pass

        class Weird(LLMPlugin):
            name = "weird"

            def use(self, thing: Thing) -> None: ...
        """,
    )
    error = load_error(plugin_dir)
    assert error.message.startswith(
        "method `Weird.use`: its parameters cannot become a tool schema:"
    )


def test_a_cleanup_that_requires_arguments_is_refused(plugin_dir: Path) -> None:
    write(
        plugin_dir,
        "needy.py",
        """\
        from llm_pytest import LLMPlugin

        class Needy(LLMPlugin):
            name = "needy"

            async def cleanup(self, force: bool) -> None: ...
        """,
    )
    assert load_error(plugin_dir).message == (
        "method `Needy.cleanup` must take no arguments, but requires `force`"
    )


# --- entry points ----------------------------------------------------------------------------


@pytest.fixture
def ep_module(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> Iterator[str]:
    """An importable module (unique name per test) holding one plugin class."""
    name = f"ep_plugins_{request.node.name.removeprefix('test_')}"
    (tmp_path / f"{name}.py").write_text(
        textwrap.dedent(
            """\
            from llm_pytest import LLMPlugin

            NOT_A_PLUGIN = 42

            class Installed(LLMPlugin):
                name = "installed"

                async def hello(self, who: str) -> str:
                    \"\"\"Say hello.\"\"\"
                    return f"hello {who}"
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    yield name
    sys.modules.pop(name, None)


def entry_point(value: str) -> EntryPoint:
    return EntryPoint(name="installed", value=value, group=ENTRY_POINT_GROUP)


@pytest.mark.anyio
async def test_an_entry_point_naming_a_class_gives_its_tools(ep_module: str) -> None:
    tools = discover_plugins([], entry_points=[entry_point(f"{ep_module}:Installed")])
    assert [t.name for t in tools] == ["installed_hello", "installed_cleanup"]
    assert await tools[0].func(ToolContext(env={}), {"who": "you"}) == "hello you"


def test_an_entry_point_naming_a_module_gives_the_plugins_defined_in_it(ep_module: str) -> None:
    tools = discover_plugins([], entry_points=[entry_point(ep_module)])
    assert [t.name for t in tools] == ["installed_hello", "installed_cleanup"]


def test_an_entry_point_naming_something_else_is_an_error(ep_module: str) -> None:
    with pytest.raises(SpecError) as err:
        discover_plugins([], entry_points=[entry_point(f"{ep_module}:NOT_A_PLUGIN")])
    assert err.value.message == (
        f"plugin entry point `installed = {ep_module}:NOT_A_PLUGIN` names 42, "
        "which is neither an LLMPlugin subclass nor a module"
    )


def test_an_entry_point_that_fails_to_load_is_an_error_naming_it() -> None:
    with pytest.raises(SpecError) as err:
        discover_plugins([], entry_points=[entry_point("no_such_module_xyz:Plugin")])
    assert err.value.message == (
        "plugin entry point `installed = no_such_module_xyz:Plugin` failed to load: "
        "ModuleNotFoundError: No module named 'no_such_module_xyz'"
    )


def test_installed_entry_points_are_read_by_default(plugin_dir: Path) -> None:
    write(plugin_dir, "my_plugin.py", SEED_MY_PLUGIN)
    with_installed = discover_plugins([plugin_dir])
    assert [t.name for t in with_installed][:2] == ["my_plugin_my_tool", "my_plugin_cleanup"]
