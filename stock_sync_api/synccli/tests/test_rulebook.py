"""One rulebook for sync-cli and the addon: the shared table of external ID
cases, and every boundary of every setting through the real sync-cli.

The ID cases are ``external_id_vectors.json``, next to this file; sync-cli's
own tests (``sync-cli/tests/id_vectors.rs``) run the same table.
"""

import json
from pathlib import Path

import pytest
from synccli import (
    CLI_ERROR,
    DEFAULTS,
    INVALID_ID,
    MAX_QUANTITY_RANGE,
    RANGES,
    SETTINGS,
    Setting,
    SyncCliSettings,
    external_id_problem,
    fetch,
    is_blank,
)
from synccli.output import redact

VECTORS = json.loads((Path(__file__).parent / "external_id_vectors.json").read_text())["cases"]


def case_id(case):
    return case["id"] * case.get("repeat", 1)


@pytest.mark.parametrize("case", VECTORS, ids=lambda case: case["note"])
def test_the_id_check_follows_the_shared_table(case):
    problem = external_id_problem(case_id(case))
    assert (problem[0] if problem else None) == case["refused"]


def test_the_table_covers_every_rule_and_the_edges():
    rules = {case["refused"] for case in VECTORS}
    assert rules == {None, "empty", "too_long", "control", "spaces", "dot"}
    ids = {case_id(case) for case in VECTORS}
    assert {".", "..", "\u00a0", " GS-1", "GS-1 ", "x" * 255, "x" * 256} <= ids


def test_blank_is_empty_or_ascii_spaces_and_tabs_only():
    assert all(is_blank(text) for text in ["", " ", "\t", " \t "])
    assert not any(is_blank(text) for text in ["\u00a0", "\u3000", "\n", " x "])


def test_the_real_sync_cli_accepts_every_id_the_addon_accepts(sync_cli_bin, mock_api):
    accepted = [case_id(case) for case in VECTORS if case["refused"] is None]
    url = mock_api([{"product_id": external_id, "quantity": "3"} for external_id in accepted])
    results = fetch(accepted, SyncCliSettings(base_url=url, cli_path=sync_cli_bin, timeout=5, retries=0))
    for external_id in accepted:
        assert results[external_id].status == "ok", (external_id, results[external_id])
        assert results[external_id].quantity == 3.0
    refused = [case_id(case) for case in VECTORS if case["refused"] is not None]
    results = fetch(refused, SyncCliSettings(base_url=url, cli_path=sync_cli_bin))
    assert {result.status for result in results.values()} == {INVALID_ID}


# --- settings -----------------------------------------------------------------


def test_the_runner_defaults_are_the_settings_defaults():
    config = SyncCliSettings(base_url="http://x")
    for key in ("timeout", "retries", "concurrency", "max_quantity", "cli_path"):
        assert getattr(config, key) == DEFAULTS[key], key
    assert DEFAULTS["concurrency"] == 32


def test_a_setting_whose_zero_or_empty_is_a_value_is_stored_plain():
    """A system parameter stored by a settings form's field is unset at 0
    or empty: a setting whose 0 or empty is a value of its own says so."""
    with pytest.raises(ValueError, match="must be plain"):
        Setting("wait", 5, 0, 10)
    with pytest.raises(ValueError, match="must be plain"):
        Setting("path", "/items", rule="pointer", empty_allowed=True)
    assert Setting("wait", 5, 0, 10, plain=True).plain
    assert {key for key, setting in SETTINGS.items() if setting.plain} >= {"retries", "endpoint"}


def test_every_setting_has_a_label_and_each_choice_its_own():
    for setting in SETTINGS.values():
        assert setting.label, setting.key
        assert all(value and label for value, label in setting.choices), setting.key
        assert setting.default in setting.values if setting.choices else setting.problem(setting.default) is None


BOUNDARIES = [(key, value) for key in ("timeout", "retries", "concurrency") for value in RANGES[key]] + [
    ("max_quantity", value) for value in MAX_QUANTITY_RANGE
]


@pytest.mark.parametrize("key, value", BOUNDARIES)
def test_every_boundary_of_every_setting_runs_the_real_sync_cli(sync_cli_bin, mock_api, key, value):
    url = mock_api([{"product_id": "GS-1", "quantity": "1"}, {"product_id": "GS-2", "quantity": "2"}])
    config = SyncCliSettings(base_url=url, cli_path=sync_cli_bin, **{key: value})
    results = fetch(["GS-1", "GS-2"], config)
    assert results["GS-1"].status == "ok", results["GS-1"]
    assert results["GS-1"].quantity == 1.0
    if key == "max_quantity" and value == MAX_QUANTITY_RANGE[0]:
        # The smallest bound, 1, refuses 2.
        assert results["GS-2"].status == "invalid_response", results["GS-2"]
        assert "above the limit of 1" in results["GS-2"].error
    else:
        assert results["GS-2"].status == "ok", results["GS-2"]


@pytest.mark.parametrize(
    "key, value",
    [(key, low - 1) for key, (low, _high) in RANGES.items() if key != "batch_size"]
    + [(key, high + 1) for key, (_low, high) in RANGES.items() if key != "batch_size"]
    + [("max_quantity", MAX_QUANTITY_RANGE[0] - 0.5), ("max_quantity", MAX_QUANTITY_RANGE[1] * 10)],
)
def test_just_outside_every_range_is_refused_before_running(key, value):
    with pytest.raises(ValueError, match=key.replace("max_quantity", "largest quantity")):
        SyncCliSettings(base_url="http://x", **{key: value})


@pytest.mark.parametrize("batch_size", RANGES["batch_size"])
def test_both_ends_of_the_batch_size_through_the_real_sync_cli(sync_cli_bin, mock_api, batch_size):
    ids = [f"GS-{n}" for n in range(batch_size)]
    url = mock_api([{"product_id": external_id, "quantity": "1"} for external_id in ids])
    results = fetch(ids, SyncCliSettings(base_url=url, cli_path=sync_cli_bin, retries=0))
    assert len(results) == batch_size
    assert {result.status for result in results.values()} == {"ok"}


# --- the token in messages ----------------------------------------------------------

TOKEN = "s3cret-token-value-0123456789"


def test_redact_hides_every_piece_of_8_characters():
    assert redact(f"a {TOKEN} b", TOKEN) == "a <redacted> b"
    assert redact(f"cut: {TOKEN[3:14]}…", TOKEN) == "cut: <redacted>…"
    assert redact(f"short: {TOKEN[:7]}", TOKEN) == f"short: {TOKEN[:7]}"
    assert redact("nothing", "") == "nothing"


def test_a_token_on_stderr_never_reaches_a_message(fake_cli):
    cli = fake_cli(
        "sys.stderr.write('echo: ' + os.environ['STOCK_API_TOKEN'][2:20] + '\\n')\n"
        "print(json.dumps({'external_id': ids[0], 'status': 'http_error', "
        "'error': 'got ' + os.environ['STOCK_API_TOKEN']}))\n"
        "sys.exit(1)\n"
    )
    results = fetch(["A", "B"], SyncCliSettings(base_url="http://x", cli_path=cli, token=TOKEN))
    assert results["A"].error == "got <redacted>"
    assert results["B"].status == CLI_ERROR
    assert "<redacted>" in results["B"].error
    for result in results.values():
        for i in range(len(TOKEN) - 7):
            assert TOKEN[i : i + 8] not in result.error


def test_the_table_has_each_id_once():
    ids = [case_id(case) for case in VECTORS]
    assert len(ids) == len(set(ids))
