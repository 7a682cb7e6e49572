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
