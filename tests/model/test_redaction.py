"""What the Redactor replaces in recorded values, and what it leaves alone."""

from __future__ import annotations

import base64
from urllib.parse import quote, quote_plus

import pytest

from llm_pytest.model.trace import Redactor

REDACTED = "[REDACTED]"

SECRET = "s3cr3t/v@lue>>?with spaces"


@pytest.mark.parametrize(
    "name",
    [
        "DB_PASSWD",
        "MYSQL_PWD",
        "GITHUB_PAT",
        "SESSION_COOKIE",
        "AUTH_BEARER",
        "SENTRY_DSN",
        "DB_PASS",
        "AWS_CREDENTIALS",
        "HTTP_AUTHORIZATION",
        "OPENAI_API_KEY",
        "GH_TOKEN",
        "CLIENT_SECRET",
        "DB_PASSWORD",
    ],
)
def test_values_of_common_secret_names_are_redacted(name: str) -> None:
    redact = Redactor({name: "value-of-the-secret"})
    assert redact("sent value-of-the-secret twice: value-of-the-secret") == (
        f"sent {REDACTED} twice: {REDACTED}"
    )


@pytest.mark.parametrize("name", ["PATH", "PWD", "OLDPWD", "BYPASS_CACHE", "GIT_AUTHOR_NAME"])
def test_ordinary_names_that_contain_a_secret_word_keep_their_values(name: str) -> None:
    redact = Redactor({name: "/work/project"})
    assert redact("cd /work/project") == "cd /work/project"


def test_the_password_of_a_url_in_any_variable_is_redacted() -> None:
    redact = Redactor({"DATABASE_URL": "postgres://app:hunter2pw@db:5432/app"})
    assert redact("postgres://app:hunter2pw@db:5432/app") == f"postgres://{REDACTED}@db:5432/app"
    assert redact("--password hunter2pw") == f"--password {REDACTED}"


def test_a_short_url_password_is_redacted_with_its_user() -> None:
    redact = Redactor({"DATABASE_URL": "postgres://u:pw@h/db"})
    assert redact("connected to postgres://u:pw@h/db") == f"connected to postgres://{REDACTED}@h/db"


def test_a_percent_encoded_url_password_is_redacted_as_written_and_decoded() -> None:
    redact = Redactor({"DATABASE_URL": "postgres://app:p%40ss-w0rd@db/app"})
    assert redact("p%40ss-w0rd and p@ss-w0rd") == f"{REDACTED} and {REDACTED}"


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@pytest.mark.parametrize(
    "shown",
    [
        quote(SECRET),
        quote(SECRET, safe=""),
        quote_plus(SECRET),
        _b64(SECRET),
        _b64(SECRET).rstrip("="),
        base64.urlsafe_b64encode(SECRET.encode()).decode(),
    ],
    ids=["quote", "quote-all", "quote_plus", "base64", "base64-unpadded", "urlsafe-base64"],
)
def test_url_encoded_and_base64_forms_of_a_secret_are_redacted(shown: str) -> None:
    redact = Redactor({"API_TOKEN": SECRET})
    assert redact(f"got {shown}.") == f"got {REDACTED}."


@pytest.mark.parametrize("user", ["ada", "adam", "ad"])
def test_a_basic_credential_built_from_a_secret_keeps_only_the_users_part(user: str) -> None:
    # Each user length puts the secret at another alignment inside the base64 text; what is
    # left is the user's part and the characters that mix the secret's edges with its
    # neighbours.
    redact = Redactor({"API_TOKEN": SECRET})
    shown = redact("Basic " + _b64(f"{user}:{SECRET}")).removeprefix("Basic ")
    before, redacted, after = shown.partition(REDACTED)
    assert redacted
    assert len(before) <= len(_b64(f"{user}:").rstrip("=")) and len(after) <= 3


def test_credential_headers_are_redacted_whatever_they_hold() -> None:
    redact = Redactor({})
    recorded = {
        "headers": {"Authorization": "Bearer literal-token", "accept": "application/json"},
        "response": {
            "headers": {"SET-COOKIE": ["a=1", "b=2"], "x-api-key": "k-123", "Cookie": "c=3"},
            "proxy-authorization": "Basic eDp5",
        },
    }
    assert redact(recorded) == {
        "headers": {"Authorization": REDACTED, "accept": "application/json"},
        "response": {
            "headers": {
                "SET-COOKIE": [REDACTED, REDACTED],
                "x-api-key": REDACTED,
                "Cookie": REDACTED,
            },
            "proxy-authorization": REDACTED,
        },
    }


def test_extra_name_patterns_add_to_the_defaults() -> None:
    env = {"ACME_SIGNING_SEED": "seed-value-1", "DB_PASSWD": "passwd-value"}
    assert Redactor(env)("seed-value-1 passwd-value") == f"seed-value-1 {REDACTED}"
    assert Redactor(env, [r"_SEED$"])("seed-value-1 passwd-value") == f"{REDACTED} {REDACTED}"


def test_values_shorter_than_four_characters_are_kept() -> None:
    redact = Redactor({"FEATURE_AUTH": "on"})
    assert redact("turned on") == "turned on"
