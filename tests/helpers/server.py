"""Helpers for the end-to-end tests of `corral serve`: start the real
binary on a free loopback port with a temporary data dir, speak HTTP to it
(plain, streamed, or raw bytes on a socket), look at its processes, and
stop it. Python standard library only.

    with Server(env={"ISOLATE_POOL_SIZE": "2"}) as srv:
        status, obj, headers = srv.json("POST", "/v1/execute", {"code": "1"})

Every status the helper sees is recorded in srv.statuses, so a test can
check at the end that no request was answered with a 5xx other than a
503 (overload or draining): srv.server_errors() lists those."""
import atexit
import ctypes
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

BUILD = os.environ.get("CORRAL_BUILD", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "build"))
CORRAL = os.path.abspath(os.path.join(BUILD, "corral"))
HOOKS = os.path.abspath(os.path.join(BUILD, "corral-testhooks"))


try:
    _libc = ctypes.CDLL(None, use_errno=True)
except OSError:
    _libc = None


def _die_with_parent():
    """In the child before exec: SIGTERM when the thread that started us
    dies, so a test killed by its runner (meson's timeout) leaves no server
    behind. Start servers from the main thread."""
    if _libc is not None:
        _libc.prctl(1, signal.SIGTERM, 0, 0, 0)  # PR_SET_PDEATHSIG


_running = set()


@atexit.register
def _stop_all():
    for srv in list(_running):
        srv.stop()


# A SIGTERM to the test (a runner's timeout) unwinds it, so atexit and
# `with` blocks stop the servers and remove their temp dirs.
if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))


class ServerError(Exception):
    """The server did not start (or died): the message holds its stderr."""


def free_port():
    """A port that was free a moment ago: bind port 0, read it, close."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
    finally:
        s.close()


# ---- processes -------------------------------------------------------------

def _stat(pid):
    """(state, ppid, starttime) of a process, or None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            s = f.read()
        rest = s[s.rindex(b")") + 2:].split()
        return rest[0].decode(), int(rest[1]), int(rest[19])
    except (OSError, ValueError, IndexError):
        return None


def cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read()
    except OSError:
        return b""


def descendants(pid):
    """Every live process below pid (children, grandchildren, ...), found
    by parent pid over /proc: workers may be spawned by any thread of the
    server, or by a zygote child of it."""
    parent = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            st = _stat(d)
            if st:
                parent[int(d)] = st[1]
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        kids = [c for c, pp in parent.items() if pp == p]
        out += kids
        todo += kids
    return out


def rss_bytes(pid):
    """VmRSS of a process in bytes, or None."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return None


def alive(pid):
    st = _stat(pid)
    return st is not None and st[0] != "Z"


# ---- JSON shapes -----------------------------------------------------------

def api_error(obj):
    """(code, message, field) when obj is the API's error shape
    {"error": {"code", "message"[, "field"]}} with a non-empty string code
    and message; None otherwise."""
    if not isinstance(obj, dict) or not isinstance(obj.get("error"), dict):
        return None
    e = obj["error"]
    if not isinstance(e.get("code"), str) or not e["code"]:
        return None
    if not isinstance(e.get("message"), str) or not e["message"]:
        return None
    return e["code"], e["message"], e.get("field")


def retry_after(headers):
    """The Retry-After header as whole seconds, or None when missing or not
    a non-negative integer (corral sends delta-seconds, not a date)."""
    v = headers.get("retry-after")
    if v is None or not v.strip().isdigit():
        return None
    return int(v.strip())


def parse_raw_response(data):
    """(status, headers dict, body) of the first HTTP response in raw bytes;
    status None if there is none."""
    head, sep, body = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    if not lines or not lines[0].startswith(b"HTTP/"):
        return None, {}, data
    parts = lines[0].split(None, 2)
    try:
        status = int(parts[1])
    except (IndexError, ValueError):
        return None, {}, data
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(b":")
        headers[k.strip().lower().decode(errors="replace")] = v.strip().decode(errors="replace")
    return status, headers, body


def _response_complete(data):
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        return False
    status, headers, _ = parse_raw_response(data)
    if status is None:
        return False
    if "content-length" in headers:
        try:
            return len(body) >= int(headers["content-length"])
        except ValueError:
            return False
    if "chunked" in headers.get("transfer-encoding", "").lower():
        return body.endswith(b"0\r\n\r\n")
    return status in (204, 304)


# ---- streaming -------------------------------------------------------------

class Stream:
    """A request whose answer is read as it arrives. Iterating yields
    (seconds since the request was sent, piece) where a piece is one SSE
    event (the text between blank lines) or one NDJSON line, as str.
    .status and .headers (lower-case names) are set once the headers are in."""

    def __init__(self, port, path, obj, accept, headers=None, timeout=30, method="POST"):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        body = obj if isinstance(obj, (bytes, str)) or obj is None else json.dumps(obj)
        h = {"Content-Type": "application/json", "Accept": accept}
        h.update(headers or {})
        self.t0 = time.monotonic()
        self.conn.request(method, path, body=body, headers=h)
        self.resp = self.conn.getresponse()
        self.status = self.resp.status
        self.headers = {k.lower(): v for k, v in self.resp.getheaders()}
        self.sse = "event-stream" in accept

    def __iter__(self):
        sep = b"\n\n" if self.sse else b"\n"
        buf = b""
        now = time.monotonic() - self.t0
        try:
            while True:
                chunk = self.resp.read1(65536)
                now = time.monotonic() - self.t0
                if not chunk:
                    break
                buf = (buf + chunk).replace(b"\r\n", b"\n")
                while sep in buf:
                    piece, buf = buf.split(sep, 1)
                    if piece.strip():
                        yield now, piece.decode(errors="replace")
            if buf.strip():
                yield now, buf.decode(errors="replace")
        finally:
            self.close()

    def close(self):
        self.conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def sse_parse(text):
    """(event name, data) of one SSE event; data lines joined with '\\n'.
    The event name is 'message' when none is given."""
    event, data = "message", []
    for line in text.split("\n"):
        if line.startswith(":"):
            continue
        k, _, v = line.partition(":")
        if v.startswith(" "):
            v = v[1:]
        if k == "event":
            event = v
        elif k == "data":
            data.append(v)
    return event, "\n".join(data)


# ---- the server ------------------------------------------------------------

class Server:
    """`corral serve` on 127.0.0.1:<free port> with a temporary data dir
    (or data_dir=..., which is then left in place), extra arguments and
    extra environment. Use as a context manager, or start()/stop().
    ready=True also waits for /readyz 200 (the pool warm). start() raises
    ServerError, with the server's stderr, if it dies or does not answer
    /healthz within start_timeout seconds."""

    def __init__(self, *args, env=None, binary=None, data_dir=None, ready=False, start_timeout=20,
                 host="127.0.0.1"):
        self.args = list(args)
        self.host = host            # the address listened on; requests go to 127.0.0.1
        self.env = dict(env or {})
        self.binary = binary or CORRAL
        self.ready = ready
        self.start_timeout = start_timeout
        self._tmp = tempfile.mkdtemp(prefix="corral-serve-")
        self.own_data_dir = data_dir is None
        self.data_dir = os.path.join(self._tmp, "data") if data_dir is None else data_dir
        os.makedirs(self.data_dir, exist_ok=True)
        self.proc = None
        self.port = None
        self.pid = None
        self.statuses = []          # (method, path, status) of every answer seen
        self._stderr = None
        self._stdout = None
        self._known = {}            # pid -> starttime of descendants seen

    # -- life cycle --

    def start(self):
        last = None
        for _ in range(3):
            try:
                self._start_once()
                return self
            except ServerError as e:
                last = e
                if "in use" not in str(e).lower():
                    break
        self.stop()
        raise last

    def _start_once(self):
        for f in (self._stderr, self._stdout):
            if f:
                f.close()
        self.port = free_port()
        e = dict(os.environ)
        e.update(self.env)
        cmd = [self.binary, "serve", "--listen", f"{self.host}:{self.port}", "--data-dir", self.data_dir, *self.args]
        self._stderr = open(os.path.join(self._tmp, f"stderr.{self.port}"), "w+b")
        self._stdout = open(os.path.join(self._tmp, f"stdout.{self.port}"), "w+b")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=self._stdout, stderr=self._stderr, env=e,
                                     preexec_fn=_die_with_parent)
        self.pid = self.proc.pid
        _running.add(self)
        deadline = time.monotonic() + self.start_timeout
        while True:
            rc = self.proc.poll()
            if rc is not None:
                raise ServerError(f"{' '.join(cmd)} exited with {rc} before /healthz answered; stderr:\n"
                                  + self.stderr_text()[-4000:])
            status, _, _ = self.request("GET", "/healthz", timeout=1, record=False)
            if status == 200:
                break
            if time.monotonic() > deadline:
                self._kill()
                raise ServerError(f"/healthz did not answer 200 within {self.start_timeout} s "
                                  f"(last: {status}); stderr:\n" + self.stderr_text()[-4000:])
            time.sleep(0.05)
        if self.ready:
            status, obj = self.wait_ready(self.start_timeout)
            if status != 200:
                raise ServerError(f"/readyz did not answer 200 within {self.start_timeout} s "
                                  f"(last: {status} {obj}); stderr:\n" + self.stderr_text()[-4000:])

    def wait_ready(self, timeout=20):
        """Polls /readyz until 200; returns the last (status, JSON)."""
        deadline = time.monotonic() + timeout
        while True:
            status, obj, _ = self.json("GET", "/readyz", timeout=2, record=False)
            if status == 200 or time.monotonic() > deadline or not self.alive():
                return status, obj
            time.sleep(0.05)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def sigterm(self):
        if self.alive():
            self._remember_descendants()
            os.kill(self.pid, signal.SIGTERM)

    def wait(self, timeout=30):
        """The exit code, or None if still running after timeout seconds."""
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def sigterm_and_wait(self, timeout=30):
        self.sigterm()
        return self.wait(timeout)

    def _remember_descendants(self):
        if self.pid:
            for p in descendants(self.pid):
                st = _stat(p)
                if st:
                    self._known[p] = st[2]

    def _kill(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self._remember_descendants()
            try:
                os.kill(self.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.kill(self.pid, signal.SIGKILL)
                self.proc.wait()
        # Workers the server left behind (it was killed, or lost them):
        # only those it started, checked by start time against pid reuse.
        for p, start in self._known.items():
            st = _stat(p)
            if st and st[2] == start and st[0] != "Z":
                try:
                    os.kill(p, signal.SIGKILL)
                except OSError:
                    pass

    def stop(self):
        _running.discard(self)
        self._kill()
        for f in (self._stderr, self._stdout):
            if f:
                f.close()
        self._stderr = self._stdout = None
        if self._tmp:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False

    def restart(self):
        """Stops the server and starts it again on the same data dir (a new port)."""
        self._kill()
        self.proc = None
        return self.start()

    # -- output --

    def stderr_text(self):
        if not self._stderr:
            return ""
        self._stderr.flush()
        with open(self._stderr.name, "rb") as f:
            return f.read().decode(errors="replace")

    def stdout_text(self):
        if not self._stdout:
            return ""
        with open(self._stdout.name, "rb") as f:
            return f.read().decode(errors="replace")

    # -- processes --

    def workers(self):
        """Live processes below the server whose command line says worker."""
        out = []
        for p in descendants(self.pid):
            st = _stat(p)
            if st and st[0] != "Z" and b"worker" in cmdline(p):
                out.append(p)
        return out

    def rss(self):
        return rss_bytes(self.pid)

    # -- HTTP --

    def server_errors(self):
        """Answers that were a 5xx other than 503 (a 5xx is a bug)."""
        return [x for x in self.statuses if x[2] is not None and x[2] >= 500 and x[2] != 503]

    def request(self, method, path, body=None, headers=None, timeout=30, record=True):
        """(status, headers with lower-case names, body bytes). body: bytes or
        str (sent as is, Content-Type application/json unless headers say
        otherwise; a header given as None is left out). If the connection
        fails, status is None and headers['_error'] says why."""
        if isinstance(body, str):
            body = body.encode()
        h = {}
        if body is not None:
            h["Content-Type"] = "application/json"
        for k, v in (headers or {}).items():
            for kk in [x for x in h if x.lower() == k.lower()]:
                del h[kk]
            if v is not None:
                h[k] = v
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            try:
                conn.request(method, path, body=body, headers=h)
            except (BrokenPipeError, ConnectionResetError):
                pass  # answered early (413 before the body) and closed: read the answer
            resp = conn.getresponse()
            data = resp.read()
            hdrs = {}
            for k, v in resp.getheaders():
                k = k.lower()
                hdrs[k] = hdrs[k] + ", " + v if k in hdrs else v
            status = resp.status
        except (OSError, http.client.HTTPException) as e:
            status, hdrs, data = None, {"_error": repr(e)}, b""
        finally:
            conn.close()
        if record:
            self.statuses.append((method, path, status))
        return status, hdrs, data

    def json(self, method, path, obj=None, headers=None, timeout=30, record=True):
        """(status, parsed JSON body or None, headers)."""
        body = None if obj is None else json.dumps(obj)
        status, hdrs, data = self.request(method, path, body, headers, timeout, record)
        try:
            parsed = json.loads(data) if data else None
        except ValueError:
            parsed = None
        if parsed is None and data:
            hdrs = dict(hdrs, _body=data[:2000].decode(errors="replace"))
        return status, parsed, hdrs

    def execute(self, code, headers=None, timeout=60, **fields):
        """POST /v1/execute {"code": code, **fields}: (status, JSON, headers)."""
        return self.json("POST", "/v1/execute", dict(code=code, **fields), headers=headers, timeout=timeout)

    def stream(self, path, obj, accept, headers=None, timeout=30):
        """A Stream (see there): iterate for (arrival seconds, event text)."""
        s = Stream(self.port, path, obj, accept, headers, timeout)
        self.statuses.append(("POST", path, s.status))
        return s

    def raw(self, data, timeout=5, shutdown=False):
        """Sends raw bytes on a new connection and returns what comes back,
        read until the server closes, a whole response is in, or timeout.
        shutdown: close our writing side after sending. self.raw_end then
        says how reading ended: "complete", "closed", "reset", "timeout" or
        "refused"."""
        got = b""
        self.raw_end = "timeout"
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=timeout) as s:
                try:
                    s.sendall(data)
                    if shutdown:
                        s.shutdown(socket.SHUT_WR)
                except OSError:
                    pass  # the server may refuse the rest; read its answer
                deadline = time.monotonic() + timeout
                while True:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        break
                    s.settimeout(left)
                    try:
                        chunk = s.recv(65536)
                    except socket.timeout:
                        break
                    except OSError:
                        self.raw_end = "reset"
                        break
                    if not chunk:
                        self.raw_end = "closed"
                        break
                    got += chunk
                    if _response_complete(got):
                        self.raw_end = "complete"
                        break
        except ConnectionRefusedError:
            self.raw_end = "refused"
        except OSError:
            self.raw_end = "reset"
        status, _, _ = parse_raw_response(got)
        self.statuses.append(("RAW", data[:40].decode(errors="replace"), status))
        return got

    def connect_refused(self, timeout=2):
        """True when a new TCP connection to the port is refused."""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=timeout):
                return False
        except ConnectionRefusedError:
            return True
        except OSError:
            return False


def corral_keys(data_dir, *args, binary=None, timeout=30):
    """`corral keys ARGS --data-dir DATA_DIR`: (rc, stdout, stderr)."""
    p = subprocess.run([binary or CORRAL, "keys", *args, "--data-dir", data_dir],
                       capture_output=True, timeout=timeout)
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")


def serve_fails(*args, env=None, binary=None, timeout=10):
    """Starts `corral serve` expecting it to refuse (a bad flag or
    environment value): (exit code, stderr), exit code None if it was still
    running after timeout seconds (then it is killed)."""
    tmp = tempfile.mkdtemp(prefix="corral-serve-bad-")
    try:
        cmd = [binary or CORRAL, "serve"]
        if "--listen" not in args:
            cmd += ["--listen", f"127.0.0.1:{free_port()}"]
        if "--data-dir" not in args:
            cmd += ["--data-dir", tmp]
        cmd += list(args)
        e = dict(os.environ)
        e.update(env or {})
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=e)
        try:
            _, err = p.communicate(timeout=timeout)
            return p.returncode, err.decode(errors="replace")
        except subprocess.TimeoutExpired:
            p.send_signal(signal.SIGTERM)
            try:
                _, err = p.communicate(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                _, err = p.communicate()
            return None, err.decode(errors="replace")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def serve_available(binary=None):
    """(True, '') if the binary has a serve command, else (False, why)."""
    b = binary or CORRAL
    if not os.path.exists(b):
        return False, f"{b} is not built"
    try:
        p = subprocess.run([b, "serve", "--help"], capture_output=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired) as e:
        return False, f"{b} serve --help: {e}"
    err = (p.stdout + p.stderr).decode(errors="replace")
    if "unknown command" in err:
        return False, f"{os.path.basename(b)} has no serve command yet"
    return True, ""


def start_or_fail(tap, desc, **kw):
    """A started Server, or None after recording a failed case `desc` with
    the server's stderr (tests go on with the cases that need no server)."""
    try:
        return Server(**kw).start()
    except ServerError as e:
        tap.ok(False, desc, e)
        return None

