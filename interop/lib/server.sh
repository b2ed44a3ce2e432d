# Shell functions the interop peers' start.sh and stop.sh share: starting a server in the
# background and waiting for its discovery document, and stopping it by its pid file without
# signalling a process that merely reuses the pid. Source it; it sets no shell options.

# Is the pid in PID_FILE a live process whose command line contains PATTERN?
#   ours PID_FILE PATTERN
ours() {
  local pid_file="$1" pattern="$2" pid
  [[ -f "${pid_file}" ]] || return 1
  pid="$(cat "${pid_file}")"
  kill -0 "${pid}" 2>/dev/null && tr '\0' ' ' <"/proc/${pid}/cmdline" 2>/dev/null | grep -q -- "${pattern}"
}

# Refuse to start when our server already runs from PID_FILE or anything answers at ISSUER.
#   refuse_if_running PID_FILE PATTERN ISSUER
refuse_if_running() {
  local pid_file="$1" pattern="$2" issuer="$3"
  if ours "${pid_file}" "${pattern}"; then
    echo "start.sh: already running with pid $(cat "${pid_file}") (run stop.sh first)" >&2
    return 1
  fi
  if curl -s -o /dev/null --max-time 2 "${issuer}/.well-known/openid-configuration"; then
    echo "start.sh: something already answers on ${issuer}" >&2
    return 1
  fi
}

# Wait for the server started as PID to serve its discovery document at ISSUER, polling every
# quarter second up to TRIES times; print the issuer when it does. On a failed start the log
# is shown, the process stopped and PID_FILE removed.
#   wait_ready PID PID_FILE LOG_FILE ISSUER TRIES
wait_ready() {
  local pid="$1" pid_file="$2" log_file="$3" issuer="$4" tries="$5"
  for _ in $(seq 1 "${tries}"); do
    if ! kill -0 "${pid}" 2>/dev/null; then
      echo "start.sh: server exited during start-up; log follows" >&2
      cat "${log_file}" >&2
      rm -f "${pid_file}"
      return 1
    fi
    if curl -sf -o /dev/null --max-time 2 "${issuer}/.well-known/openid-configuration"; then
      echo "${issuer}"
      return 0
    fi
    sleep 0.25
  done
  echo "start.sh: no discovery document at ${issuer} after $((tries / 4)) s; stopping pid ${pid}" >&2
  kill "${pid}" 2>/dev/null || true
  rm -f "${pid_file}"
  cat "${log_file}" >&2
  return 1
}

# Stop the server whose pid is in PID_FILE, if it is still ours (its command line contains
# PATTERN): TERM, up to 10 s, then KILL. The pid file is removed either way.
#   stop_server PID_FILE PATTERN
stop_server() {
  local pid_file="$1" pattern="$2" pid
  if [[ ! -f "${pid_file}" ]]; then
    echo "stop.sh: not running (no ${pid_file})"
    return 0
  fi
  pid="$(cat "${pid_file}")"
  if ours "${pid_file}" "${pattern}"; then
    kill -TERM "${pid}"
    for _ in $(seq 1 40); do
      kill -0 "${pid}" 2>/dev/null || break
      sleep 0.25
    done
    if kill -0 "${pid}" 2>/dev/null; then
      kill -KILL "${pid}" 2>/dev/null || true
    fi
    echo "stop.sh: stopped pid ${pid}"
  else
    echo "stop.sh: pid ${pid} was not running (stale pid file removed)"
  fi
  rm -f "${pid_file}"
}
