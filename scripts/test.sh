#!/usr/bin/env bash
# Kedge's test command (the README's): installs what the tests use, then runs ruff and pytest.
#   - Debian packages the tests start as real servers: redis-server, openssh-server, chromium, git
#   - the project with its test extras, and every contrib plugin (plugins/contrib/*)
# Test servers (git daemon, git http-backend, sshd, redis, the local cluster) are started by the
# test fixtures themselves, on loopback, and stopped when the tests end.
# Extra arguments go to pytest, e.g. scripts/test.sh -k lua -x
set -euo pipefail
cd "$(dirname "$0")/.."

apt_needed=()
command -v redis-server >/dev/null || apt_needed+=(redis-server)
[ -x /usr/sbin/sshd ] || apt_needed+=(openssh-server)
command -v chromium >/dev/null || apt_needed+=(chromium)
command -v git >/dev/null || apt_needed+=(git)
command -v docker-registry >/dev/null || apt_needed+=(docker-registry)
if [ ${#apt_needed[@]} -gt 0 ]; then
  echo "==> apt-get install ${apt_needed[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${apt_needed[@]}" >/dev/null
fi

PY=${PYTHON:-python3}
echo "==> pip install -e .[test] and contrib plugins"
"$PY" -m pip install -q --disable-pip-version-check -e '.[test]'
for d in plugins/contrib/*/; do
  [ -f "$d/pyproject.toml" ] && "$PY" -m pip install -q --disable-pip-version-check "$d"
done

echo "==> ruff"
"$PY" -m ruff check .
"$PY" -m ruff format --check .

if [ -d lua/health ] && "$PY" -c "import kedge.cli.lua" 2>/dev/null; then
  echo "==> kedge lua test lua/"
  kedge lua test lua/
fi

echo "==> pytest"
exec "$PY" -m pytest -q -p no:cacheprovider "$@"
