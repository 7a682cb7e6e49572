import json
import subprocess
import sys


def run_kedge(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kedge", *args], capture_output=True, text=True, timeout=60)


def test_version_json_reports_package_version():
    import kedge

    out = run_kedge("version", "-o", "json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["kedge"] == kedge.__version__


def test_help_lists_commands_without_importing_them():
    out = run_kedge("--help")
    assert out.returncode == 0
    assert "plugins" in out.stdout and "version" in out.stdout
