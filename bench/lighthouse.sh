#!/usr/bin/env bash
# Lighthouse scores of Voice's home page and experience form, as a phone sees them.
#
#   bench/lighthouse.sh [path ...]        (default: / /experiences/new)
#
# - Installs npm `lighthouse` (pinned, LH_VERSION, default 12.8.2: the 13.x line needs
#   Node >= 22.19, Debian's Node is 20) into a cache directory outside the repository,
#   LH_DIR (default ${XDG_CACHE_HOME:-~/.cache}/voice-lighthouse/<version>), only when it
#   is not there yet. Nothing is installed globally; nothing goes into the repository.
# - Starts Voice the way `make run` does (VOICE_ENV=development, migrate, seed, sample
#   data, gunicorn with 2 workers), but on a temporary SQLite database and a free
#   127.0.0.1 port, so it never touches instance/voice.db or port 5000.
# - Runs Lighthouse with Debian's Chromium (CHROME_PATH, default /usr/bin/chromium),
#   headless, with Lighthouse's default form factor: mobile emulation (a Moto G
#   Power-sized screen) and simulated slow-4G / 4x CPU throttling. It prints the four
#   category scores (performance, accessibility, best practices, SEO) per page.
# - Stops gunicorn (its own process group, by pid) and removes the temporary directory
#   on exit, also on Ctrl-C.
#
# The machine is shared: the performance score (simulated throttling scales what the
# CPU did during the run) moves by several points between runs; the other three do not.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="$ROOT/.venv/bin"
LH_VERSION="${LH_VERSION:-12.8.2}"
LH_DIR="${LH_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/voice-lighthouse/$LH_VERSION}"
export CHROME_PATH="${CHROME_PATH:-/usr/bin/chromium}"
CHROME_FLAGS="--headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking --disable-component-update --disable-sync"
PATHS=("$@")
[ ${#PATHS[@]} -gt 0 ] || PATHS=(/ /experiences/new)

missing=()
command -v node >/dev/null || missing+=("node (Debian: apt-get install -y nodejs npm)")
command -v npm >/dev/null || missing+=("npm (Debian: apt-get install -y npm)")
[ -x "$CHROME_PATH" ] || missing+=("Chromium at $CHROME_PATH (Debian: apt-get install -y chromium, or set CHROME_PATH)")
[ -x "$BIN/gunicorn" ] && [ -x "$BIN/flask" ] && [ -x "$BIN/python" ] || missing+=("the project venv with gunicorn and flask ($BIN; run make venv)")
if [ ${#missing[@]} -gt 0 ]; then
  echo "MISSING, cannot run:" >&2
  printf '  - %s\n' "${missing[@]}" >&2
  exit 2
fi

LH="$LH_DIR/node_modules/.bin/lighthouse"
if [ ! -x "$LH" ]; then
  echo "lighthouse $LH_VERSION not in $LH_DIR: installing it there (npm registry) ..."
  mkdir -p "$LH_DIR"
  npm install --prefix "$LH_DIR" --no-audit --no-fund --loglevel=error "lighthouse@$LH_VERSION" >/dev/null
fi

TMP="$(mktemp -d -t voice-lighthouse-XXXXXX)"
GUNICORN_PID=""
cleanup() {
  if [ -n "$GUNICORN_PID" ] && kill -0 "$GUNICORN_PID" 2>/dev/null; then
    kill -TERM -- "-$GUNICORN_PID" 2>/dev/null || true      # its own process group (setsid)
    for _ in $(seq 50); do kill -0 "$GUNICORN_PID" 2>/dev/null || break; sleep 0.2; done
    kill -KILL -- "-$GUNICORN_PID" 2>/dev/null || true
  fi
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The environment of `make run`, on a temporary database; nothing leaks in from the shell.
unset SECRET_KEY RATELIMIT_STORAGE_URI VOICE_TRUSTED_PROXIES FLASK_APP FLASK_DEBUG ARGON2_TIME_COST ARGON2_MEMORY_COST
export DATABASE_URL="sqlite:///$TMP/voice.db" VOICE_INSTANCE_PATH="$TMP" VOICE_ENV=development
cd "$ROOT"
echo "Voice Lighthouse run, $(date +%F), load average $(cut -d" " -f1-3 /proc/loadavg), lighthouse $("$LH" --version), $("$CHROME_PATH" --version 2>/dev/null | head -n1)"
step() {  # run one preparation step quietly; show its output if it fails
  if ! "$@" >"$TMP/step.log" 2>&1; then
    echo "failed: $*" >&2
    tail -n 30 "$TMP/step.log" >&2
    exit 1
  fi
}
step "$BIN/flask" --app voice voice migrate
step "$BIN/flask" --app voice voice seed
step "$BIN/flask" --app voice voice sample-data --if-empty --yes
tail -n1 "$TMP/step.log"
PORT="$("$BIN/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
setsid "$BIN/gunicorn" --bind "127.0.0.1:$PORT" --workers 2 --log-level warning 'voice:create_app()' \
  >"$TMP/gunicorn.log" 2>&1 </dev/null &
GUNICORN_PID=$!
BASE="http://127.0.0.1:$PORT"
"$BIN/python" - "$BASE" <<'EOF' || { echo "gunicorn did not start; its log:" >&2; cat "$TMP/gunicorn.log" >&2; exit 1; }
import sys, time, urllib.request
for _ in range(150):
    try:
        with urllib.request.urlopen(sys.argv[1] + "/", timeout=5) as r:
            if r.status == 200:
                sys.exit(0)
    except OSError:
        time.sleep(0.2)
sys.exit(1)
EOF
echo "server: gunicorn --workers 2 on $BASE (VOICE_ENV=development, [SAMPLE] data)"
echo "lighthouse: default form factor (mobile emulation, simulated throttling), chrome flags: $CHROME_FLAGS"

n=0
for path in "${PATHS[@]}"; do
  n=$((n + 1))
  if ! "$LH" "$BASE$path" --quiet --chrome-flags="$CHROME_FLAGS" \
      --only-categories=performance,accessibility,best-practices,seo \
      --output=json --output-path="$TMP/lh-$n.json" 2>"$TMP/lh-$n.log"; then
    echo "lighthouse failed for $path:" >&2
    tail -n 20 "$TMP/lh-$n.log" >&2
    exit 1
  fi
done

"$BIN/python" - "$TMP" "${PATHS[@]}" <<'EOF'
import json, sys
tmp, paths = sys.argv[1], sys.argv[2:]
cats = ["performance", "accessibility", "best-practices", "seo"]
print()
print(f"{'page':<22}" + "".join(f"{c:>16}" for c in cats))
print("-" * (22 + 16 * len(cats)))
notes = []
for n, path in enumerate(paths, 1):
    report = json.load(open(f"{tmp}/lh-{n}.json"))
    scores = {c: report["categories"][c]["score"] for c in cats}
    print(f"{path:<22}" + "".join(f"{'-' if s is None else round(s * 100):>16}" for s in scores.values()))
    form = report["configSettings"]["formFactor"]
    audits = report["audits"]
    metrics = {k: audits[k]["displayValue"] for k in ("first-contentful-paint", "largest-contentful-paint",
               "total-blocking-time", "cumulative-layout-shift", "speed-index") if k in audits}
    notes.append(f"{path}: form factor {form}; " + ", ".join(f"{k} {v}" for k, v in metrics.items()))
    work = audits.get("mainthread-work-breakdown", {}).get("details", {}).get("items", [])
    if work:
        notes.append(f"{path}: main-thread work (throttled): " + ", ".join(
            f"{w.get('groupLabel', w.get('group'))} {w['duration']:.0f} ms" for w in sorted(work, key=lambda w: -w["duration"])[:4]))
    failing = [a["id"] for c in cats for ref in report["categories"][c]["auditRefs"]
               for a in [audits[ref["id"]]] if ref.get("weight", 0) > 0 and a.get("score") is not None and a["score"] < 0.9]
    if failing:
        notes.append(f"{path}: audits below 0.9: {', '.join(sorted(set(failing)))}")
print()
for line in notes:
    print(line)
EOF
