# Sourced by the bench scripts. The caller sets $bench (its name, for messages)
# and $pid (the server it started, empty when none).

# Stops the server in $pid: TERM, up to 10 s to exit, then KILL.
stop_server() {
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && { echo "$bench: pid $pid did not stop on TERM; killing it" >&2; kill -KILL "$pid" 2>/dev/null; }
  wait "$pid" 2>/dev/null
  pid=
}
