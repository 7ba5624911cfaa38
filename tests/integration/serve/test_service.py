"""``nbtools serve`` for real: uvicorn on a free loopback port, requests over HTTP."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import psutil
import pytest

from nbtools.unused_imports import UNUSED
from tests.conftest import NotebookFactory
from tests.integration.jobs.conftest import wait_until
from tests.integration.serve.conftest import RunningService, extract, ready

Serve = Callable[..., RunningService]


def body(size: int) -> Iterator[bytes]:
    """A JSON body sent in chunks, without Content-Length."""
    yield b'{"x": 1, "tags": ["'
    for _ in range(size // 1000):
        yield b"a" * 1000
    yield b'"]}'


def test_served_function_batch_pipeline_info_and_metrics(
    scorer_package: Path, serve: Serve
) -> None:
    service = serve(scorer_package)
    with service.client() as client:
        assert client.get("/health").json() == {"status": "ok"}
        assert client.post("/predict", json={"x": 2}).json() == {"score": 4.0}
        assert client.post("/predict", json={"x": 2, "mode": "double"}).json() == {"score": 8.0}
        batch = client.post("/predict/batch", json=[{"x": 1}, {"x": 3, "tags": ["a"]}])
        assert batch.json() == [{"score": 2.0}, {"score": 6.0}]
        assert client.post("/run", json={"n": 5}).json() == {"total": 10}
        info = client.get("/info").json()
        metrics = client.get("/metrics").text
        openapi = client.get("/openapi.json").json()
        docs = client.get("/docs")
    output = service.stop()
    assert info["package"] == "scorer"
    assert info["version"] == "0.1.0"
    assert info["notebook"] == "scorer.ipynb"
    assert len(info["notebook_sha256"]) == 64
    assert info["endpoints"] == ["predict", "run"]
    assert 'nbtools_serve_requests_total{endpoint="/predict",status="200"} 2.0' in metrics
    assert 'nbtools_serve_requests_total{endpoint="/predict/batch",status="200"} 1.0' in metrics
    assert 'nbtools_serve_request_duration_seconds_count{endpoint="/predict"} 2.0' in metrics
    # record() inside the served function: 4 + 8 from /predict, 2 + 6 from the batch
    assert 'nbtools_serve_recorded_value_sum{name="score"} 20.0' in metrics
    assert 'nbtools_serve_recorded_value_count{name="total"} 1.0' in metrics
    schema = openapi["components"]["schemas"]["PredictRequest"]
    assert schema["required"] == ["x"]
    assert set(schema["properties"]) == {"x", "mode", "tags"}
    assert docs.status_code == 200
    # the module-level code ran once, at start-up, not per request
    assert output.count("model loaded") == 1


FORM = "application/x-www-form-urlencoded"


def test_invalid_input_is_422_naming_each_field(scorer_package: Path, serve: Serve) -> None:
    service = serve(scorer_package)
    with service.client() as client:
        reply = client.post("/predict", json={"x": "abc", "mode": "triple", "extra": 1})
        missing = client.post("/predict", json={})
        not_json = client.post(
            "/predict", content=b"{oops", headers={"content-type": "application/json"}
        )
        batch = client.post("/predict/batch", json=[{"x": 1}, {"x": "no"}])
        a_list = client.post("/predict", json=[{"x": 1}])  # several go to /predict/batch
        as_form = client.post("/predict", content=b'{"x": 1}', headers={"content-type": FORM})
    assert reply.status_code == 422
    assert reply.json()["error"] == "invalid-input"
    fields = {f["field"] for f in reply.json()["details"]["fields"]}
    assert fields == {"x", "mode", "extra"}
    assert missing.status_code == 422
    assert [f["field"] for f in missing.json()["details"]["fields"]] == ["x"]
    assert not_json.status_code == 422
    assert not_json.json()["message"] == (
        "The request body is invalid. It is not JSON at character 1: "
        "Expecting property name enclosed in double quotes."
    )
    assert not_json.json()["details"]["fields"][0]["field"] == ""
    assert a_list.status_code == 422
    assert a_list.json()["message"].startswith("The request body is invalid. Input should be")
    assert batch.status_code == 422
    assert [f["field"] for f in batch.json()["details"]["fields"]] == ["1.x"]
    # curl -d without a Content-Type: JSON sent as a form
    assert (as_form.status_code, as_form.json()["details"]) == (415, {"content_type": FORM})
    assert "must be JSON, sent as application/json" in as_form.json()["message"]


def test_head_is_answered_as_get_without_the_body_and_options_with_the_methods(
    scorer_package: Path, serve: Serve
) -> None:
    """Load balancers check a service's health with HEAD."""
    service = serve(scorer_package)
    paths = ("/", "/health", "/ready", "/info", "/metrics", "/openapi.json", "/docs")
    with service.client() as client:
        gets = {path: client.get(path) for path in paths}
        heads = {path: client.head(path) for path in paths}
        head_of_a_call = client.head("/predict")
        options = client.options("/health")
        options_of_a_call = client.options("/predict")
        put = client.put("/health")
    for path in paths:
        assert (heads[path].status_code, heads[path].content) == (gets[path].status_code, b"")
        assert heads[path].headers["content-type"] == gets[path].headers["content-type"]
    assert heads["/health"].headers["content-length"] == str(len(gets["/health"].content))
    assert (head_of_a_call.status_code, head_of_a_call.headers["allow"]) == (405, "OPTIONS, POST")
    assert (options.status_code, options.content) == (204, b"")
    assert options.headers["allow"] == "GET, HEAD, OPTIONS"
    assert (options_of_a_call.status_code, options_of_a_call.headers["allow"]) == (
        204,
        "OPTIONS, POST",
    )
    assert (put.status_code, put.headers["allow"]) == (405, "GET, HEAD, OPTIONS")
    assert put.json()["error"] == "method-not-allowed"


def test_exception_is_500_with_an_error_id_and_no_traceback(
    scorer_package: Path, serve: Serve
) -> None:
    service = serve(scorer_package)
    with service.client() as client:
        reply = client.post("/predict", json={"x": -1})
        metrics = client.get("/metrics").text
    log = service.stop()
    assert reply.status_code == 500
    error_id = reply.json()["details"]["error_id"]
    assert "SECRET-DETAIL" not in reply.text
    assert "Traceback" not in reply.text
    assert f"error {error_id} in /predict" in log
    assert "ValueError: negative input: SECRET-DETAIL" in log
    assert 'nbtools_serve_errors_total{endpoint="/predict",type="ValueError"} 1.0' in metrics


def test_over_the_time_limit_is_504_and_the_worker_stays_usable(
    scorer_package: Path, serve: Serve
) -> None:
    service = serve(scorer_package, "--timeout", "0.5")
    with service.client() as client:
        slow = client.post("/predict", json={"x": 3000})  # sleeps 3 s
        after = client.post("/predict", json={"x": 1})
        metrics = client.get("/metrics").text
    assert slow.status_code == 504
    assert slow.json()["error"] == "timeout"
    assert after.status_code == 200
    assert after.json() == {"score": 2.0}
    assert 'nbtools_serve_errors_total{endpoint="/predict",type="timeout"} 1.0' in metrics


def test_a_body_over_the_limit_is_413(scorer_package: Path, serve: Serve) -> None:
    service = serve(scorer_package, "--max-body-bytes", "2000")
    with service.client() as client:
        declared = client.post("/predict", json={"x": 1, "tags": ["a" * 5000]})
        streamed = client.post(
            "/predict", content=body(5000), headers={"content-type": "application/json"}
        )
        small = client.post(
            "/predict", content=body(1000), headers={"content-type": "application/json"}
        )
    assert declared.status_code == 413
    assert declared.json()["error"] == "payload-too-large"
    assert streamed.status_code == 413
    assert small.status_code == 200


def test_the_log_says_where_it_listens_also_on_a_port_the_system_chose(
    scorer_package: Path,
) -> None:
    command = [sys.executable, "-m", "nbtools.cli.main", "serve", str(scorer_package)]
    for port in ("65536", "-1"):
        refused = subprocess.run(
            [*command, "--port", port], capture_output=True, text=True, timeout=120
        )
        assert refused.returncode == 2, refused.stderr
        assert "Invalid value for '--port'" in refused.stderr
        assert "Traceback" not in refused.stderr
    process = subprocess.Popen(
        [*command, "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    service = RunningService(process, "")
    try:  # stopped whatever happens
        assert process.stdout is not None
        line = process.stdout.readline()
        found = re.search(r"listening on (http://127\.0\.0\.1:(\d+)) \(try it: \1/docs\)", line)
        assert found is not None, line
        service.url = found.group(1)
        assert int(found.group(2)) > 0
        assert (
            process.stdout.readline().strip()
            == "INFO: nbtools.serve: uvicorn on uvloop with httptools"
        )
        assert ready(service).process.poll() is None
        assert httpx.get(f"{service.url}/ready", timeout=5).status_code == 200
    finally:
        service.stop()


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_port_in_use_is_bad_input_naming_the_flag(scorer_package: Path, workers: str) -> None:
    """Told before the package is imported (its module-level code never runs), exit 2; the
    process listening there keeps its port and answers as before."""
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        command = [sys.executable, "-m", "nbtools.cli.main", "serve", str(scorer_package)]
        ended = subprocess.run(
            [*command, "--port", str(port), "--workers", workers],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert ended.returncode == 2, ended.stderr
        assert f"Cannot listen on 127.0.0.1:{port}: Address already in use." in ended.stderr
        assert "Choose another port (or stop what listens there). See --port." in ended.stderr
        assert "Traceback" not in ended.stderr
        assert "model loaded in" not in ended.stdout + ended.stderr
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            pass  # still listening


def test_api_key_is_required_and_never_logged(scorer_package: Path, serve: Serve) -> None:
    key = "k3y-that-must-not-leak"
    service = serve(scorer_package, "--api-key-env", "SCORER_KEY", env={"SCORER_KEY": key})
    with service.client() as anonymous:
        refused = anonymous.post("/predict", json={"x": 1})
        info = anonymous.get("/info")
        health = anonymous.get("/health")
        ready = anonymous.get("/ready")
    with service.client(**{"X-API-Key": "wrong"}) as wrong:
        wrong_key = wrong.post("/predict", json={"x": 1})
    with service.client(**{"X-API-Key": key}) as header:
        by_header = header.post("/predict", json={"x": 1})
    with service.client(Authorization=f"Bearer {key}") as bearer:
        by_bearer = bearer.post("/predict", json={"x": 1})
    log = service.stop()
    assert refused.status_code == 401
    assert refused.json()["error"] == "unauthorized"
    assert refused.headers["www-authenticate"] == "Bearer"
    assert info.status_code == 401
    assert wrong_key.status_code == 401
    assert (health.status_code, ready.status_code) == (200, 200)
    assert by_header.json() == by_bearer.json() == {"score": 2.0}
    assert key not in log


def test_public_docs_shows_the_docs_to_a_browser_and_keeps_the_calls_keyed(
    scorer_package: Path, serve: Serve
) -> None:
    """A browser, which cannot send the key, got a 401 for /docs and /openapi.json."""
    flags = ("--api-key-env", "SCORER_KEY", "--public-docs")
    service = serve(scorer_package, *flags, env={"SCORER_KEY": "k-1"})
    with service.client() as browser:
        page, document = browser.get("/docs"), browser.get("/openapi.json")
        call, info = browser.post("/predict", json={"x": 1}), browser.get("/info")
    service.stop()
    assert (page.status_code, document.status_code) == (200, 200), service.output
    assert "apiKey" in document.json()["components"]["securitySchemes"]
    assert (call.status_code, info.status_code) == (401, 401)


def test_an_api_key_file_is_read_by_every_worker_and_never_logged(
    scorer_package: Path, serve: Serve, tmp_path: Path
) -> None:
    """As a Kubernetes secret is mounted: the file's one line break at its end is not part
    of the key; the workers get the file's path, never the key, from the command."""
    key = "k3y from a file"
    secret = tmp_path / "api-key"
    secret.write_text(key + "\n")
    service = serve(scorer_package, "--workers", "2", "--api-key-file", str(secret))
    with service.client() as anonymous:
        refused = [anonymous.post("/predict", json={"x": 1}).status_code for _ in range(4)]
    with service.client(**{"X-API-Key": key}) as header:
        by_header = [header.post("/predict", json={"x": 1}).json() for _ in range(4)]
    with service.client(Authorization=f"Bearer {key}") as bearer:
        by_bearer = bearer.post("/predict", json={"x": 1})
    log = service.stop()
    assert refused == [401] * 4
    assert by_header == [{"score": 2.0}] * 4
    assert by_bearer.json() == {"score": 2.0}
    assert key not in log
    assert service.process.returncode == 0


def test_an_unset_api_key_variable_is_refused_before_anything_starts(
    scorer_package: Path, serve: Serve
) -> None:
    """Bad input: exit 2 with the reason, no worker started, the package not even imported."""
    service = serve(scorer_package, "--workers", "2", "--api-key-env", "NBTOOLS_TEST_UNSET_KEY")
    output = service.stop()
    assert service.process.returncode == 2
    assert "$NBTOOLS_TEST_UNSET_KEY is empty or unset" in output
    assert "model loaded" not in output
    assert "Traceback" not in output


def test_several_workers_load_once_each_and_a_failed_start_up_exits_3(
    scorer_package: Path, serve: Serve, tmp_path: Path
) -> None:
    service = serve(scorer_package, "--workers", "2")
    with service.client() as client:
        assert client.post("/predict", json={"x": 1}).json() == {"score": 2.0}
    output = service.stop()
    # once in each worker process that started (one at least), never in the supervising one
    assert 1 <= output.count("model loaded in") <= 2
    assert f"model loaded in {service.process.pid}\n" not in output
    unwritable = f"sqlite:///{tmp_path}/no-such-directory/traffic.db"
    broken = serve(scorer_package, "--workers", "2", "--record-to", unwritable)
    output = broken.stop()
    assert broken.process.returncode == 3
    assert "cannot open the store traffic is recorded to (ServeSettings.record_to)" in output
    assert "Traceback" not in output  # told once, by the service, not again by Starlette


#: A served function telling which process answered and whether its start-up was frozen.
WHERE = [
    ("markdown", "# Where\n> Which worker answers.", []),
    ("code", "import gc\nimport os", ["export"]),
    (
        "code",
        "#| serve\n"
        "def where() -> dict[str, int]:\n"
        '    """The answering process and its objects kept out of full collections."""\n'
        "    return {'pid': os.getpid(), 'frozen': gc.get_freeze_count()}",
        [],
    ),
]


def test_each_of_several_workers_answers_with_its_start_up_frozen(
    notebook_factory: NotebookFactory, tmp_path: Path, serve: Serve
) -> None:
    """``--workers 2``: calls on new connections reach both worker processes (children of the
    one started), and each froze its start-up objects (``ServeSettings.freeze_gc``)."""
    package = extract(notebook_factory("where.ipynb", WHERE), tmp_path / "where-pkg")
    service = serve(package, "--workers", "2")
    assert service.process.poll() is None, service.stop()
    answers: dict[int, int] = {}
    deadline = time.monotonic() + 120
    while len(answers) < 2 and time.monotonic() < deadline:
        with ThreadPoolExecutor(4) as pool:  # concurrent calls, each its own connection
            for reply in pool.map(
                lambda _: httpx.post(f"{service.url}/where", json={}, timeout=60), range(8)
            ):
                assert reply.status_code == 200, reply.text
                answers[reply.json()["pid"]] = reply.json()["frozen"]
    workers = {child.pid for child in psutil.Process(service.process.pid).children(recursive=True)}
    assert len(answers) == 2
    assert set(answers) <= workers
    assert all(frozen > 0 for frozen in answers.values()), answers
    service.stop()
    assert service.process.returncode == 0


def test_an_importable_package_serves_itself(scorer_package: Path, serve: Serve) -> None:
    pythonpath = os.pathsep.join([str(scorer_package / "src"), os.environ.get("PYTHONPATH", "")])
    service = serve(
        scorer_package,
        "--timeout",
        "5",
        env={"PYTHONPATH": pythonpath},
        command=[sys.executable, "-m", "scorer", "serve"],
    )
    with service.client() as client:
        assert client.post("/predict", json={"x": 4}).json() == {"score": 8.0}
    assert service.stop().count("model loaded in") == 1
    assert service.process.returncode == 0


#: A served function using what nbtools' own processes keep out of their imports.
USES_SKIPPED = [
    ("markdown", "# Parquet\n> Reads columnar data.", []),
    ("code", f"import {', '.join(UNUSED)}", ["export"]),
    (
        "code",
        "#| serve\n"
        "def versions() -> list[bool]:\n"
        '    """Where the libraries came from."""\n'
        f"    return [bool(m.__file__) for m in ({', '.join(UNUSED)})]",
        [],
    ),
]


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_package_may_import_what_the_command_line_skips(
    notebook_factory: NotebookFactory, tmp_path: Path, serve: Serve, workers: str
) -> None:
    """``nbtools serve`` imports the package in its own process, where the console script
    first kept ``pyarrow`` and ``rfc3987_syntax`` out: a model reading Parquet was refused as
    "missing pyarrow" although it is installed."""
    package = extract(notebook_factory("parquet.ipynb", USES_SKIPPED), tmp_path / "pq-pkg")
    service = serve(package, "--workers", workers)
    assert service.process.poll() is None, service.stop()
    with service.client() as client:
        answer = client.post("/versions", json={})
    assert (answer.status_code, answer.json()) == (200, [True] * len(UNUSED)), service.stop()
    assert service.stop().count("Traceback") == 0


#: A served function that says when a call has started (it makes a file), then takes a while.
SLOW = [
    ("markdown", "# Slow\n> Takes its time.", []),
    ("code", "import time\nfrom pathlib import Path", ["export"]),
    (
        "code",
        "#| serve\n"
        "def slow(started: str) -> str:\n"
        '    """Make the file started, then take a second."""\n'
        "    Path(started).touch()\n"
        "    time.sleep(1)\n"
        "    return 'done'",
        [],
    ),
]


@pytest.mark.parametrize("workers", ["1", "2"])
@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=lambda stop: stop.name)
def test_a_signal_stops_it_after_the_calls_in_flight_with_exit_0(
    notebook_factory: NotebookFactory,
    tmp_path: Path,
    serve: Serve,
    workers: str,
    stop: signal.Signals,
) -> None:
    """As supervisors expect of a service they stop (systemd counts 143 as a failure): the
    call in flight is answered, a line says how it stopped, and no process of its is left."""
    package = extract(notebook_factory("slow.ipynb", SLOW), tmp_path / "slow-pkg")
    service = serve(package, "--workers", workers)
    assert service.process.poll() is None, service.stop()
    supervisor = psutil.Process(service.process.pid)
    group = [supervisor, *supervisor.children(recursive=True)]
    started = tmp_path / "started"
    with ThreadPoolExecutor(1) as pool:
        call = pool.submit(
            httpx.post, f"{service.url}/slow", json={"started": str(started)}, timeout=60
        )
        wait_until(started.exists, "the call to start")
        service.process.send_signal(stop)
        reply = call.result()
    service.output, _ = service.process.communicate(timeout=60)
    assert (reply.status_code, reply.json()) == (200, "done")
    assert service.process.returncode == 0, service.output
    assert (
        f"INFO: nbtools.serve: stopped by {stop.name}, the requests in flight were answered: "
        "exit code 0" in service.output
    )
    assert "Traceback" not in service.output
    _, alive = psutil.wait_procs(group, timeout=60)
    assert alive == []
