"""Sync windows: matching, activity in time zones, and Argo CD's precedence rules."""

from datetime import UTC, datetime

import pytest

from kedge.controller.windows import WindowError, active_windows, can_sync, project_windows, window_rows

APP = {
    "metadata": {"name": "billing-api"},
    "spec": {"destination": {"server": "https://kubernetes.default.svc", "namespace": "prod"}},
}


def project(*windows):
    return {"metadata": {"name": "p"}, "spec": {"syncWindows": list(windows)}}


def window(kind, schedule="0 22 * * *", duration="1h", **kw):
    return {"kind": kind, "schedule": schedule, "duration": duration, "applications": ["*"], **kw}


AT_2230 = datetime(2026, 3, 4, 22, 30, tzinfo=UTC)  # inside "0 22 * * *" + 1h
AT_1200 = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)  # outside


def test_no_windows_allow_everything():
    assert can_sync(project(), APP, manual=False, now=AT_2230)
    assert can_sync(None, APP, manual=True, now=AT_2230)


def test_matching_by_application_namespace_cluster_and_and_operator():
    def matches(**kw):
        w = {"kind": "deny", "schedule": "* * * * *", "duration": "1h", **kw}
        return bool(active_windows(project(w), APP, AT_1200))

    assert matches(applications=["billing-*"])
    assert not matches(applications=["web-*"])
    assert matches(namespaces=["prod"])
    assert matches(clusters=["https://kubernetes.default.svc"])
    assert not matches(clusters=["in-cluster"])  # the app names its cluster by server
    assert matches(applications=["web-*"], namespaces=["prod"])  # OR by default
    assert not matches(applications=["web-*"], namespaces=["prod"], andOperator=True)
    assert matches(applications=["billing-*"], namespaces=["prod"], andOperator=True)
    assert not matches()  # a window that selects nothing matches nothing


def test_active_deny_blocks_and_names_the_window():
    decision = can_sync(project(window("deny")), APP, manual=False, now=AT_2230)
    assert not decision
    assert "deny window 0 '0 22 * * *' (1h)" in decision.message
    assert can_sync(project(window("deny")), APP, manual=False, now=AT_1200)


def test_manual_sync_through_deny_only_if_every_active_deny_allows_it():
    assert can_sync(project(window("deny", manualSync=True)), APP, manual=True, now=AT_2230)
    assert not can_sync(project(window("deny", manualSync=True)), APP, manual=False, now=AT_2230)
    both = project(window("deny", manualSync=True), window("deny", schedule="30 22 * * *"))
    decision = can_sync(both, APP, manual=True, now=AT_2230)
    assert not decision and "window 1" in decision.message


def test_allow_windows_only_allow_while_active():
    p = project(window("allow"))
    assert can_sync(p, APP, manual=False, now=AT_2230)
    decision = can_sync(p, APP, manual=False, now=AT_1200)
    assert not decision and "no active allow window" in decision.message
    assert not can_sync(p, APP, manual=True, now=AT_1200)
    assert can_sync(project(window("allow", manualSync=True)), APP, manual=True, now=AT_1200)


def test_deny_overrides_allow():
    p = project(window("allow", schedule="0 * * * *", duration="2h"), window("deny"))
    assert not can_sync(p, APP, manual=False, now=AT_2230)
    assert can_sync(p, APP, manual=False, now=AT_1200)


def test_time_zone_shifts_the_schedule():
    w = window("deny", schedule="0 9 * * *", duration="1h", timeZone="Europe/Berlin")
    # 09:30 in Berlin (winter, UTC+1) is 08:30 UTC
    assert not can_sync(project(w), APP, manual=False, now=datetime(2026, 1, 5, 8, 30, tzinfo=UTC))
    assert can_sync(project(w), APP, manual=False, now=datetime(2026, 1, 5, 9, 30, tzinfo=UTC))
    # summer time (UTC+2): 09:30 Berlin is 07:30 UTC
    assert not can_sync(project(w), APP, manual=False, now=datetime(2026, 7, 6, 7, 30, tzinfo=UTC))


def test_sync_overrun():
    started = datetime(2026, 3, 4, 21, 50, tzinfo=UTC)  # before the 22:00 deny window opened
    plain = project(window("deny"))
    overrun = project(window("deny", syncOverrun=True))
    assert not can_sync(plain, APP, manual=False, now=AT_2230, started=started)
    assert can_sync(overrun, APP, manual=False, now=AT_2230, started=started)
    # an operation that started inside the deny window is not covered by overrun
    assert not can_sync(
        overrun, APP, manual=False, now=AT_2230, started=datetime(2026, 3, 4, 22, 10, tzinfo=UTC)
    )
    # allow window with overrun: a sync started inside it may continue after it closed
    allow = project(window("allow", syncOverrun=True))
    after = datetime(2026, 3, 4, 23, 30, tzinfo=UTC)
    assert can_sync(allow, APP, manual=False, now=after, started=AT_2230)
    assert not can_sync(project(window("allow")), APP, manual=False, now=after, started=AT_2230)


def test_bad_windows_raise_clear_errors():
    for bad, msg in (
        (window("maybe"), "kind must be 'allow' or 'deny'"),
        (window("deny", schedule="every night"), "cannot parse schedule"),
        (window("deny", duration="an hour"), "cannot parse duration"),
        (window("deny", timeZone="Mars/Olympus"), "unknown timeZone"),
    ):
        with pytest.raises(WindowError, match=msg):
            can_sync(project(bad), APP, manual=False, now=AT_2230)
    assert [w.index for w in project_windows(project(window("deny"), window("allow")))] == [0, 1]


def test_window_rows_for_the_cli():
    p = project(window("deny", manualSync=True), window("allow", schedule="0 6 * * *", timeZone="Asia/Tokyo"))
    rows = window_rows(p, now=AT_2230)
    assert [(r["id"], r["status"], r["kind"], r["timeZone"]) for r in rows] == [
        (0, "Active", "deny", "UTC"),
        (1, "Inactive", "allow", "Asia/Tokyo"),
    ]
    assert rows[0]["manualSync"] is True and rows[0]["applications"] == ["*"]
    bad = window_rows(project(window("deny", schedule="never")))
    assert bad[0]["status"].startswith("Invalid: ") and "cannot parse schedule" in bad[0]["status"]
