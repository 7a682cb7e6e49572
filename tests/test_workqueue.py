import threading
import time

from kedge.controller.workqueue import WorkQueue


def test_dedup_and_no_parallel_processing_of_a_key():
    q: WorkQueue[str] = WorkQueue()
    q.add("a")
    q.add("a")
    q.add("b")
    assert len(q) == 2
    assert q.get(timeout=1) == "a"
    q.add("a")  # re-added while processing: processed again afterwards, not in parallel
    assert q.get(timeout=1) == "b"
    assert q.get(timeout=0.1) is None
    q.done("a")
    assert q.get(timeout=1) == "a"


def test_a_burst_of_delayed_adds_makes_one_item():
    q: WorkQueue[str] = WorkQueue()
    for _ in range(50):
        q.add_after("app", 0.1)
    t0 = time.monotonic()
    assert q.get(timeout=2) == "app"
    assert time.monotonic() - t0 >= 0.09
    q.done("app")
    assert q.get(timeout=0.3) is None


def test_shutdown_wakes_waiting_workers():
    q: WorkQueue[str] = WorkQueue()
    got = []
    t = threading.Thread(target=lambda: got.append(q.get()))
    t.start()
    time.sleep(0.05)
    q.shutdown()
    t.join(2)
    assert got == [None]


# -- debounce adds vs timer adds --------------------------------------------------------------------
def test_an_immediate_add_supersedes_a_pending_debounce():
    q: WorkQueue[str] = WorkQueue()
    q.add_after("app", 0.3, debounce=True)
    q.add("app")
    assert q.get(timeout=0.1) == "app"  # right away, not after the debounce
    q.done("app")
    assert q.get(timeout=0.8) is None  # the debounce was dropped: no second processing


def test_a_debounce_alone_fires_after_its_delay():
    q: WorkQueue[str] = WorkQueue()
    t0 = time.monotonic()
    q.add_after("app", 0.2, debounce=True)
    assert q.get(timeout=3) == "app"
    assert time.monotonic() - t0 >= 0.19
    q.done("app")
    assert q.get(timeout=0.3) is None


def test_an_immediate_add_keeps_a_pending_timer():
    q: WorkQueue[str] = WorkQueue()
    t0 = time.monotonic()
    q.add_after("app", 0.3)  # a timer (back-off, window): debounce=False
    q.add("app")
    assert q.get(timeout=0.1) == "app"
    q.done("app")
    assert q.get(timeout=3) == "app"  # the timer still fires
    assert time.monotonic() - t0 >= 0.29
    q.done("app")
    assert q.get(timeout=0.3) is None


def test_a_timer_sharing_a_pending_debounce_is_kept():
    q: WorkQueue[str] = WorkQueue()
    q.add_after("app", 0.3, debounce=True)
    q.add_after("app", 0.3, debounce=False)  # joins the pending add, which is now a timer
    q.add("app")
    assert q.get(timeout=0.1) == "app"
    q.done("app")
    assert q.get(timeout=3) == "app"
    q.done("app")
    assert q.get(timeout=0.3) is None


def test_a_debounce_does_not_downgrade_a_pending_timer():
    q: WorkQueue[str] = WorkQueue()
    q.add_after("app", 0.3)
    q.add_after("app", 0.3, debounce=True)
    q.add("app")
    assert q.get(timeout=0.1) == "app"
    q.done("app")
    assert q.get(timeout=3) == "app"
    q.done("app")
    assert q.get(timeout=0.3) is None


def test_superseding_only_touches_the_added_key():
    q: WorkQueue[str] = WorkQueue()
    q.add_after("a", 0.2, debounce=True)
    q.add_after("b", 0.2, debounce=True)
    q.add("a")
    assert q.get(timeout=0.1) == "a"
    q.done("a")
    assert q.get(timeout=3) == "b"  # b's debounce still fires
    q.done("b")
    assert q.get(timeout=0.4) is None


def test_a_new_debounce_after_a_superseded_one_is_scheduled_afresh():
    q: WorkQueue[str] = WorkQueue()
    q.add_after("app", 0.2, debounce=True)
    q.add("app")
    assert q.get(timeout=0.1) == "app"
    q.done("app")
    t0 = time.monotonic()
    q.add_after("app", 1.5, debounce=True)
    # the superseded entry (due at 0.2 s) must not fire for the new debounce
    assert q.get(timeout=0.6) is None
    assert q.get(timeout=5) == "app"
    assert time.monotonic() - t0 >= 1.49
    q.done("app")
    assert q.get(timeout=0.3) is None


def test_an_add_while_processing_supersedes_the_debounce_and_requeues_once():
    q: WorkQueue[str] = WorkQueue()
    q.add("app")
    assert q.get(timeout=0.1) == "app"
    q.add_after("app", 0.3, debounce=True)  # a change arrives while the key is processed
    q.add("app")  # ... and an immediate add as well
    assert q.get(timeout=0.05) is None  # never two workers on one key
    q.done("app")
    assert q.get(timeout=0.1) == "app"  # processed again right after
    q.done("app")
    assert q.get(timeout=0.8) is None  # and not a third time for the dropped debounce


def test_a_waiting_worker_wakes_for_a_debounce_that_falls_due():
    q: WorkQueue[str] = WorkQueue()
    got = []
    t = threading.Thread(target=lambda: got.append(q.get(timeout=5)))
    t.start()
    time.sleep(0.05)
    q.add_after("app", 0.2, debounce=True)
    t.join(6)
    assert got == ["app"]


def test_a_debounce_is_not_held_back_by_a_later_timer():
    q: WorkQueue[str] = WorkQueue()
    q.add_after("app", 30.0)  # e.g. a back-off recheck
    t0 = time.monotonic()
    q.add_after("app", 0.2, debounce=True)  # a live change meanwhile
    assert q.get(timeout=3) == "app"
    assert time.monotonic() - t0 < 2.0
    q.done("app")
    assert q._pending.get("app") and all(not deb for _, deb in q._pending["app"].values())  # timer kept


def test_a_debounce_from_during_processing_is_dropped_when_the_key_is_taken_again():
    q: WorkQueue[str] = WorkQueue()
    q.add("app")
    assert q.get(timeout=0.1) == "app"
    q.add("app")  # queued again while processed
    q.add_after("app", 0.3, debounce=True)  # and a change collected by a debounce
    q.done("app")
    assert q.get(timeout=0.1) == "app"  # the second processing sees that change...
    q.done("app")
    assert q.get(timeout=0.8) is None  # ...so the debounce does not make a third
