"""Helpers of the ``pytest --llm`` end-to-end tests: the README's `my_api` plugin, writing
project files, and running inner sessions without unrelated plugins."""

from __future__ import annotations

import textwrap

import pytest

MY_API_PLUGIN = '''\
"""The `my_api` service of the README: users in memory, answers rich enough to judge."""

from datetime import datetime, timezone

from llm_pytest import LLMPlugin


class MyApi(LLMPlugin):
    name = "my_api"

    def __init__(self):
        super().__init__()
        self._users = {}

    async def create_user(self, name: str, email: str) -> dict:
        """Create a user and return it with validation details and database state."""
        user_id = 42 + len(self._users)
        created = {
            "id": user_id,
            "name": name,
            "email": email,
            "created_at": datetime.now(timezone.utc).isoformat(),
        }
        self._users[user_id] = created
        return {
            **created,
            "validation": {
                "email_valid": "@" in email and "." in email,
                "name_not_empty": len(name.strip()) > 0,
            },
            "database_state": {"total_users": len(self._users), "user_exists": True},
        }

    async def get_user(self, user_id: int) -> dict:
        """Fetch one user by id."""
        if user_id not in self._users:
            raise LookupError(f"no user {user_id}")
        return dict(self._users[user_id])

    async def fetch_users(self, base_url: str, limit: int = 10) -> dict:
        """List users of the service at base_url."""
        users = [{"id": i, "email": f"user{i}@example.com"} for i in range(1, limit + 1)]
        return {"base_url": base_url, "count": len(users), "users": users}
'''

NO_NOISE = ("-p", "no:benchmark", "-p", "no:hypothesispytest", "-p", "no:cacheprovider")
"""Installed plugins that would only add noise to inner sessions."""


def write(pytester: pytest.Pytester, path: str, text: str) -> None:
    """Write ``text`` (dedented) to ``path`` under the project."""
    target = pytester.path / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(textwrap.dedent(text), encoding="utf-8")


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    """``pytest`` in-process, without cache or benchmark plugins."""
    return pytester.runpytest(*NO_NOISE, *args)


HALF = """\
    test:
      name: "Half"
      iterations: 4
      min_pass_rate: 0.5
    steps:
      - name: "Store the iteration"
        tool: store_value
        args: {name: i, value: "${iteration}"}
        check: result.value % 2 == 1
    """
"""A spec whose four runs pass every other time: an item that passes at its 0.5 threshold."""
