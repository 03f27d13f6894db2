"""`llm-pytest tools`: the tools specs can call (built-ins and plugins), with their arguments;
`llm-pytest tools SPEC...`: what the MCP servers those specs declare offer (tools, resources,
resource templates, prompts), found by starting each server once."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from llm_pytest.runtime.project import find_config
from llm_pytest.runtime.tools import build_registry

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "specs",
        nargs="*",
        type=Path,
        metavar="SPEC",
        help="spec files or folders: list what the MCP servers they declare offer, instead of "
        "the built-in and plugin tools (each server is started once)",
    )
    parser.add_argument(
        "--plugins",
        action="append",
        type=Path,
        metavar="DIR",
        help="plugin folder (repeatable; default: llm_plugin_dirs of the pytest configuration, "
        "else tests/llm/plugins under its rootdir)",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="print names, descriptions, argument schemas and result fields",
    )


def run(args: argparse.Namespace) -> int:
    if args.specs:
        return _servers(args.specs, as_json=args.json)
    registry = build_registry(args.plugins or find_config(Path.cwd()).plugin_dirs)
    if args.json:
        data = [
            {
                "name": t.name,
                "aliases": list(t.aliases),
                "source": t.source,
                "description": t.description,
                "input_schema": dict(t.input_schema),
                "result_fields": dict(t.result_fields),
            }
            for t in registry
        ]
        _print_json(data)
        return 0
    for tool in registry:
        print(
            _signature(tool.name, tool.input_schema)
            + f"  [{tool.source}]"
            + _first(tool.description)
        )
    return 0


def _servers(paths: Sequence[Path], *, as_json: bool) -> int:
    import anyio

    from llm_pytest.tools.mcp.listing import list_offers

    configs = _declared(paths)
    offers = anyio.run(list_offers, [config for config, _ in configs])
    if as_json:
        _print_json(
            [{**o.to_json(), "specs": specs} for o, (_, specs) in zip(offers, configs, strict=True)]
        )
    else:
        for index, o in enumerate(offers):
            if index:
                print()
            _print_offers(o)
    if not configs:
        print("llm-pytest: the specs declare no MCP servers", file=sys.stderr)
    failed = [o for o in offers if o.error is not None]
    for o in failed:
        print(f"llm-pytest: error: {o.error}", file=sys.stderr)
        if o.hint:
            print(f"  hint: {o.hint}", file=sys.stderr)
    return 1 if failed else 0


def _declared(paths: Sequence[Path]) -> list[tuple[Any, list[str]]]:
    """The distinct servers the specs under ``paths`` declare (the same server in several specs
    once), each with the specs that declare it."""
    from llm_pytest.dsl.compiler import compile_file
    from llm_pytest.lint.discovery import discover
    from llm_pytest.tools.mcp.lifecycle import server_configs

    cwd = Path.cwd()
    found: dict[str, tuple[Any, list[str]]] = {}
    for spec in discover(list(paths), find_config(cwd), cwd):
        for plan in compile_file(spec):
            for config in server_configs(plan, os.environ, iteration=1):
                _, specs = found.setdefault(repr(config), (config, []))
                if spec not in specs:
                    specs.append(spec)
    return list(found.values())


def _print_offers(offers: Any) -> None:
    took = "" if offers.startup_ms is None else f", started in {offers.startup_ms:.0f} ms"
    print(f"{offers.name}  [mcp {offers.transport}: {offers.target}{took}]")
    if offers.error is not None:
        print("  could not start (see below)")
        return
    sections: list[tuple[str, list[str]]] = [
        (
            "tools",
            [
                _signature(t["name"], t.get("input_schema") or {}) + _first(t.get("description"))
                for t in offers.tools
            ],
        ),
        (
            "resources",
            [r["uri"] + _named(r) + _first(r.get("description")) for r in offers.resources],
        ),
        (
            "resource templates",
            [
                t["uri_template"] + _named(t) + _first(t.get("description"))
                for t in offers.resource_templates
            ],
        ),
        ("prompts", [_prompt(p) + _first(p.get("description")) for p in offers.prompts]),
    ]
    for title, lines in sections:
        if lines or title == "tools":
            print(f"  {title}:" + ("" if lines else " none"))
            for line in lines:
                print(f"    {line}")


def _signature(name: str, schema: Mapping[str, Any]) -> str:
    props = schema.get("properties", {})
    required = set(schema.get("required", []))
    params = ", ".join(p if p in required else f"{p}?" for p in props)
    return f"{name}({params})"


def _prompt(prompt: Mapping[str, Any]) -> str:
    args = prompt.get("arguments") or []
    params = ", ".join(a["name"] if a.get("required") else f"{a['name']}?" for a in args)
    return f"{prompt['name']}({params})"


def _named(entry: Mapping[str, Any]) -> str:
    name, mime = entry.get("name"), entry.get("mime_type")
    return "".join(f"  {part}" for part in (name, mime) if part)


def _first(description: str | None) -> str:
    first = (description or "").strip().splitlines()[0:1]
    return f"  {first[0]}" if first else ""


def _print_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2)
    sys.stdout.write("\n")
