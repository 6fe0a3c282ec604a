"""The venue's duties on the command line: operators with PINs, the audit trail, retention.

The real CLI on a real store in the test's home; PINs come from DENGJI_PIN / DENGJI_NEW_PIN as a
script would give them. Tampering is done with the sqlite3 module on the database file.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from agent.cli import main
from agent.cli.demo_people import sample_registration

GUEST = sample_registration(1, "stay", "2026-11-20 10:00", unit="301")


def run(*args: str, operator: str | None = None, pin: str | None = None, new_pin: str | None = None,
        input: str | None = None) -> Result:
    env = {"DENGJI_OPERATOR": operator, "DENGJI_PIN": pin, "DENGJI_NEW_PIN": new_pin}
    return CliRunner().invoke(main, ["--lang", "en", *args], input=input, env=env, catch_exceptions=False)


@pytest.fixture
def staffed(private_home: Path) -> Path:
    """A hotel set up with an owner 老板 (PIN 2468) and a clerk 小王 (PIN 1357)."""
    result = run("init", "--kind", "hotel", "--name", "郑州测试宾馆", "--owner", "老板", new_pin="2468")
    assert result.exit_code == 0, result.output
    assert "owner account created" in result.output
    added = run("operator", "add", "小王", operator="老板", pin="2468", new_pin="1357")
    assert added.exit_code == 0, added.output
    return private_home


def test_once_accounts_exist_every_command_needs_an_operator_and_pin(staffed: Path) -> None:
    anonymous = run("register", "--json", "-", input=json.dumps(GUEST))
    assert anonymous.exit_code == 2 and "--operator" in anonymous.output
    wrong = run("register", "--json", "-", operator="小王", pin="0000", input=json.dumps(GUEST))
    assert wrong.exit_code == 1 and "wrong PIN" in wrong.output
    done = run("register", "--json", "-", operator="小王", pin="1357", input=json.dumps(GUEST))
    assert done.exit_code == 0, done.output
    assert run("list", "--json").exit_code == 2
    assert run("status").exit_code == 0  # acts for the system: no operator needed

    trail = json.loads(run("audit", "list", "--json").output)
    assert [(e["action"], e["operator"]) for e in trail[-3:]] == [
        ("login_failed", "小王"), ("login", "小王"), ("registration", "小王")]
    assert trail[-1]["registration_id"] == 1


def test_only_an_owner_manages_accounts(staffed: Path) -> None:
    refused = run("operator", "add", "小李", operator="小王", pin="1357", new_pin="8642")
    assert refused.exit_code == 1 and "only an owner" in refused.output
    listed = json.loads(run("operator", "list", "--json", operator="小王", pin="1357").output)
    assert [(o["name"], o["role"]) for o in listed] == [("老板", "owner"), ("小王", "clerk")]
    assert run("operator", "set-pin", "小王", operator="小王", pin="1357", new_pin="8642").exit_code == 0
    assert run("operator", "remove", "小王", operator="老板", pin="2468").exit_code == 0
    gone = run("list", operator="小王", pin="8642")
    assert gone.exit_code == 1 and "wrong operator or PIN" in gone.output
    last = run("operator", "remove", "老板", operator="老板", pin="2468")
    assert last.exit_code == 1 and "last owner" in last.output


def test_three_wrong_pins_lock_the_account_until_an_owner_resets_it(staffed: Path) -> None:
    for _ in range(2):
        assert run("list", operator="小王", pin="0000").exit_code == 1
    locked = run("list", operator="小王", pin="0000")
    assert locked.exit_code == 1 and "too many wrong PINs" in locked.output
    assert "too many wrong PINs" in run("list", operator="小王", pin="1357").output  # even the right one waits
    assert run("operator", "set-pin", "小王", operator="老板", pin="2468", new_pin="1357").exit_code == 0
    assert run("list", operator="小王", pin="1357").exit_code == 0


def test_without_accounts_nothing_changes_but_operator_is_refused(private_home: Path) -> None:
    assert run("init", "--kind", "hotel", "--name", "老店").exit_code == 0
    assert run("register", "--json", "-", input=json.dumps(GUEST)).exit_code == 0
    named = run("list", operator="老板", pin="2468")
    assert named.exit_code == 2 and "no operator accounts yet" in named.output
    first = run("operator", "add", "老板", new_pin="2468")
    assert first.exit_code == 1 and "must be an owner" in first.output
    assert run("operator", "add", "老板", "--owner", new_pin="2468").exit_code == 0
    assert run("list").exit_code == 2


def test_audit_verify_names_the_entry_edited_in_the_raw_file(staffed: Path) -> None:
    assert run("register", "--json", "-", operator="小王", pin="1357", input=json.dumps(GUEST)).exit_code == 0
    intact = run("audit", "verify")
    assert intact.exit_code == 0 and "intact" in intact.output
    head = json.loads(run("audit", "verify", "--json").output)
    assert head["intact"] and head["entries"] == head["head_seq"]
    anchored = run("audit", "verify", "--anchor", f"{head['head_seq']}:{head['head_hash']}")
    assert anchored.exit_code == 0

    registered = next(e for e in json.loads(run("audit", "list", "--json").output) if e["action"] == "registration")
    db = sqlite3.connect(staffed / "dengji.sqlite3", isolation_level=None)
    db.execute("DROP TRIGGER audit_no_update")
    db.execute("UPDATE audit SET operator = '老板' WHERE seq = ?", (registered["seq"],))
    db.close()
    broken = run("audit", "verify")
    assert broken.exit_code == 1
    assert f"entry {registered['seq']} was edited" in broken.output and "triggers are gone" in broken.output


def test_export_is_audited(staffed: Path, tmp_path: Path) -> None:
    assert run("register", "--json", "-", operator="小王", pin="1357", input=json.dumps(GUEST)).exit_code == 0
    target = tmp_path / "book.csv"
    assert run("export", "-o", str(target), operator="小王", pin="1357").exit_code == 0
    last = json.loads(run("audit", "list", "--last", "1", "--json").output)[0]
    assert (last["action"], last["operator"], last["detail"]["rows"]) == ("export", "小王", 1)


def test_retention_and_purge_dry_run(staffed: Path) -> None:
    assert "180 days" in run("retention").output
    clerk = run("retention", "365", operator="小王", pin="1357")
    assert clerk.exit_code == 1 and "only an owner" in clerk.output
    assert run("retention", "365", operator="老板", pin="2468").exit_code == 0
    assert "365 days" in run("retention").output
    assert run("retention", "5", operator="老板", pin="2468").exit_code == 1
    dry = json.loads(run("purge", "--dry-run", "--json").output)
    assert dry["days"] == 365 and dry["registrations"] == 0 and dry["dry_run"]
    assert run("purge", operator="老板", pin="2468").exit_code == 0
