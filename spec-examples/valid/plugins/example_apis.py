"""In-memory example services for the specs in spec-examples/valid.

Each plugin stands in for a real system (an HTTP API, a database, a browser) so the examples
run anywhere; they return rich data, as the README recommends, so checks and judges have
something to look at.
"""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime
from typing import Any

from llm_pytest import LLMPlugin

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _now() -> str:
    return datetime.now(UTC).isoformat()


class _Users:
    """A tiny user table shared by the API-like plugins of one run."""

    def __init__(self) -> None:
        self.rows: dict[int, dict[str, Any]] = {}
        self._ids = itertools.count(42)

    def create(self, name: str, email: str) -> dict[str, Any]:
        user_id = next(self._ids)
        row = {"id": user_id, "name": name, "email": email, "created_at": _now()}
        self.rows[user_id] = row
        return {
            **row,
            "created_user": dict(row),
            "validation": {
                "email_valid": bool(_EMAIL.match(email)),
                "name_not_empty": bool(name.strip()),
            },
            "database_state": {"total_users": len(self.rows), "user_exists": True},
        }


class MyApi(LLMPlugin):
    """The `my_api` service of the README's examples."""

    name = "my_api"

    def __init__(self) -> None:
        super().__init__()
        self.users = _Users()
        self._ready_checks = 0

    async def create_user(self, name: str, email: str) -> dict[str, Any]:
        """Create a user and return it with validation and database state."""
        return self.users.create(name, email)

    async def health(self) -> dict[str, Any]:
        """Report the service's health."""
        return {"status": "ok", "uptime_s": 1234, "checked_at": _now()}

    async def check_ready(self) -> dict[str, Any]:
        """Report readiness; the service becomes ready on the third check."""
        self._ready_checks += 1
        ready = self._ready_checks >= 3
        if not ready:
            raise RuntimeError(f"service not ready yet (check {self._ready_checks})")
        return {"ready": True, "checks": self._ready_checks}

    async def fetch_users(self, base_url: str, limit: int = 10) -> dict[str, Any]:
        """List users from the service at base_url."""
        users = [
            {"id": i, "name": f"User {i}", "email": f"user{i}@example.com"}
            for i in range(1, limit + 1)
        ]
        return {"base_url": base_url, "count": len(users), "users": users}

    async def fetch_protected(self, token: str) -> dict[str, Any]:
        """Fetch a resource that needs a bearer token."""
        authorized = token.startswith("Bearer ") and len(token) > len("Bearer ")
        return {"authorized": authorized, "resource": {"id": 7, "secret_level": "low"}}


class Api(LLMPlugin):
    """The `api` service of the README's interpolation examples."""

    name = "api"

    def __init__(self) -> None:
        super().__init__()
        self.users = _Users()

    async def create_user(self, name: str, email: str) -> dict[str, Any]:
        """Create a user."""
        return self.users.create(name, email)

    async def get_user(self, user_id: int) -> dict[str, Any]:
        """Fetch one user, with an address."""
        row = self.users.rows.get(user_id) or {
            "id": user_id,
            "name": "Existing User",
            "email": "existing@example.com",
        }
        address = {"street": "1 Main St", "city": "Springfield", "zip_code": "12345"}
        return {**row, "data": {**row, "address": address}}

    async def update_user(self, user_id: int, email: str) -> dict[str, Any]:
        """Change a user's email."""
        row = self.users.rows.get(user_id)
        if row is None:
            raise KeyError(f"no user {user_id}")
        before = row["email"]
        row["email"] = email
        return {"id": user_id, "email_before": before, "email": email, "updated_at": _now()}

    async def get_users(self, limit: int = 10) -> dict[str, Any]:
        """List users."""
        users = [
            {"id": i, "name": f"User {i}", "email": f"user{i}@example.com"}
            for i in range(1, limit + 1)
        ]
        return {"users": users, "count": len(users), "next_page": None}


class Database(LLMPlugin):
    """A database with a user table."""

    name = "database"

    def __init__(self) -> None:
        super().__init__()
        self.users = _Users()

    async def create_user(self, name: str, email: str) -> dict[str, Any]:
        """Insert a user row and return it with the table's size."""
        return self.users.create(name, email)

    async def count_users(self) -> dict[str, Any]:
        """How many users the table holds."""
        return {"count": len(self.users.rows)}


class Validate(LLMPlugin):
    """Validators for data that other steps return."""

    name = "validate"

    def address(self, city: str, zip: str) -> dict[str, Any]:
        """Check a city and a 5-digit zip code."""
        return {
            "city": city,
            "zip": zip,
            "city_valid": bool(city.strip()),
            "zip_valid": bool(re.fullmatch(r"\d{5}", zip)),
        }


class DataProcessor(LLMPlugin):
    """A batch job."""

    name = "data_processor"

    async def run(self, size: int) -> dict[str, Any]:
        """Process `size` records and report totals."""
        total = sum(range(size))
        return {"processed": size, "checksum": total, "errors": 0}


class ExternalApi(LLMPlugin):
    """A flaky third-party API: every second call fails."""

    name = "external_api"

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    async def call(self, endpoint: str) -> dict[str, Any]:
        """Call an endpoint of the external API."""
        self.calls += 1
        if self.calls % 2 == 1:
            raise ConnectionError(f"503 from {endpoint} (attempt {self.calls})")
        return {"endpoint": endpoint, "status": 200, "attempt": self.calls, "data": [1, 2, 3]}


class MyPlugin(LLMPlugin):
    """The README's plugin example."""

    name = "my_plugin"

    async def my_tool(self, arg1: str, arg2: int = 10) -> dict[str, Any]:
        """Description of what this tool does."""
        return {"result": "value", "arg1": arg1, "arg2": arg2}

    async def action(self, value: str = "") -> dict[str, Any]:
        """A generic action."""
        return {"done": True, "value": value}


class Browser(LLMPlugin):
    """A stand-in browser whose pages come from a small site map (no real browser needed)."""

    name = "browser"

    _SITE = {
        "http://localhost:8000": {"title": "Dashboard - Example App", "status": 200},
    }

    def __init__(self) -> None:
        super().__init__()
        self._page: dict[str, Any] | None = None

    async def open_page(self, url: str) -> dict[str, Any]:
        """Open a URL in the browser."""
        page = self._SITE.get(url.rstrip("/"), {"title": "Not Found", "status": 404})
        self._page = {"url": url, **page}
        return {"status": "opened", "url": url, "http_status": page["status"]}

    async def get_title(self) -> dict[str, Any]:
        """Get the page title."""
        if self._page is None:
            raise RuntimeError("no page is open: call browser_open_page first")
        return {"title": self._page["title"]}

    async def cleanup(self) -> None:
        self._page = None


class Slow(LLMPlugin):
    """A tool that takes a while."""

    name = "slow"

    async def tool(self, seconds: float = 0.05) -> dict[str, Any]:
        """Wait, then report how long it waited."""
        import anyio

        await anyio.sleep(seconds)
        return {"waited_s": seconds}


class Some(LLMPlugin):
    """Generic tools for the troubleshooting examples."""

    name = "some"

    async def tool(self) -> dict[str, Any]:
        """Return a value with a field."""
        return {"field": "A", "id": 1}


class Other(LLMPlugin):
    """Generic tools for the troubleshooting examples."""

    name = "other"

    async def tool(self, value: str) -> dict[str, Any]:
        """Echo a value."""
        return {"value": value}
