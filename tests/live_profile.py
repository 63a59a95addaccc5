"""The product started the way README's deploy section starts it, for tests and the fault drill to break.

Every process of the `Procfile` (gunicorn, the task worker, the scheduler) runs as its own OS process against
dependencies the profile owns: a database of its own (PostgreSQL on the machine's server, reached through a
proxy that can be cut to play an outage, or an SQLite file), its own `redis-server` (never the machine's shared
one) and a loopback SMTP sink that counts every message it receives. Like systemd's `Restart=always`, a process
that exits is started again after `RESTART_SECONDS`; the profile counts those restarts.

Clients drive it over HTTP as people would (`Browser`: forms with their hidden fields and CSRF token).
"""

import os
import re
import selectors
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

BASE_DIR = Path(__file__).resolve().parent.parent
RESTART_SECONDS = 1.0  # systemd's RestartSec is 5 s in deploy/; shorter here so a run stays bounded
POSTGRES_SERVER = os.environ.get("LIVE_PROFILE_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
PASSWORD = "live-profile-password-9"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def procfile() -> dict[str, str]:
    lines = (BASE_DIR / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip())


def missing_dependencies() -> list[str]:
    """What this machine lacks to start the production profile on PostgreSQL and Redis."""
    missing = [name for name in ("redis-server", "gunicorn") if not _which(name)]
    try:
        import psycopg

        psycopg.connect(POSTGRES_SERVER, connect_timeout=3).close()
    except Exception as error:
        missing.append(f"PostgreSQL at {POSTGRES_SERVER} ({error.__class__.__name__})")
    return missing


def _which(name: str) -> str | None:
    return shutil.which(name, path=f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}")


# --- dependencies ---------------------------------------------------------------------------------------------


@dataclass
class SinkedMail:
    recipient: str
    message_id: str
    subject: str
    body: str


class SmtpSink:
    """A loopback SMTP server (aiosmtpd) that keeps every message, so duplicates and losses can be counted."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.port = free_port()
        self._lock = threading.Lock()
        self._mail: list[SinkedMail] = []
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.original_content or envelope.content)
        with self._lock:
            for recipient in envelope.rcpt_tos:
                self._mail.append(
                    SinkedMail(
                        recipient=recipient.lower(),
                        message_id=str(parsed.get("Message-ID", "")),
                        subject=_decoded(parsed, "Subject"),
                        body=_text_body(parsed),
                    )
                )
        return "250 OK"

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()

    @property
    def mail(self) -> list[SinkedMail]:
        with self._lock:
            return list(self._mail)

    def count_to(self, predicate: Callable[[str], bool]) -> Counter[str]:
        return Counter(m.recipient for m in self.mail if predicate(m.recipient))

    def wait_for(self, recipient: str, *, timeout: float, containing: str = "") -> SinkedMail:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for mail in self.mail:
                if mail.recipient == recipient.lower() and containing in mail.body:
                    return mail
            time.sleep(0.2)
        raise AssertionError(f"no mail to {recipient} within {timeout} s")


def _decoded(message: Message, header: str) -> str:
    from email.header import decode_header, make_header

    return str(make_header(decode_header(str(message.get(header, "")))))


def _text_body(message: Message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                return payload.decode(part.get_content_charset() or "utf-8", errors="replace")
    return ""


class CuttableProxy:
    """A TCP proxy in front of PostgreSQL: `cut()` drops every connection and refuses new ones until `restore()`,
    which is what the product sees when the database server goes away."""

    def __init__(self, upstream_port: int) -> None:
        self.port = free_port()
        self._upstream = ("127.0.0.1", upstream_port)
        self._listener = socket.create_server(("127.0.0.1", self.port), backlog=256)
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._cut = threading.Event()
        self._stopped = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if self._cut.is_set():
                client.close()
                continue
            try:
                server = socket.create_connection(self._upstream, timeout=5)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            with self._lock:
                self._open |= {client, server}
            threading.Thread(target=self._pump, args=(client, server), daemon=True).start()

    def _pump(self, client: socket.socket, server: socket.socket) -> None:
        chooser = selectors.DefaultSelector()
        chooser.register(client, selectors.EVENT_READ, server)
        chooser.register(server, selectors.EVENT_READ, client)
        try:
            while not self._stopped.is_set():
                for key, _ in chooser.select(timeout=0.5):
                    source: socket.socket = key.fileobj  # type: ignore[assignment]
                    data = source.recv(65536)
                    if not data:
                        return
                    key.data.sendall(data)
        except OSError:
            return
        finally:
            chooser.close()
            for sock in (client, server):
                with suppress(OSError):
                    sock.close()
            with self._lock:
                self._open -= {client, server}

    def cut(self) -> None:
        self._cut.set()
        with self._lock:
            doomed = list(self._open)
        for sock in doomed:
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def restore(self) -> None:
        self._cut.clear()

    def stop(self) -> None:
        self._stopped.set()
        self.cut()
        self._listener.close()


class RedisServer:
    """A `redis-server` of the profile's own, with the persistence README asks for (AOF, fsync every second)."""

    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self._directory = directory
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = [
            "redis-server",
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(self._directory),
            "--appendonly",
            "yes",
            "--appendfsync",
            "everysec",
            "--save",
            "",
        ]
        log = (self._directory / "redis.log").open("ab")
        self._process = subprocess.Popen(command, stdout=log, stderr=log, start_new_session=True)
        _wait_until(lambda: _port_answers(self.port), timeout=10, what="redis-server")

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=10)
            self._process = None


def _descendants(pid: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True, check=False)
    children = [int(child) for child in found.stdout.split()]
    return [grandchild for child in children for grandchild in _descendants(child)] + children


def _port_answers(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
    except OSError:
        return False
    return True


def _wait_until(condition: Callable[[], bool], *, timeout: float, what: str, every: float = 0.2) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(every)
    raise AssertionError(f"{what}: not ready within {timeout} s")


# --- the product's processes -------------------------------------------------------------------------------------


@dataclass
class Supervised:
    name: str
    command: list[str]
    log: Path
    process: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    exits: list[int] = field(default_factory=list)  # each exit's return code (-9: killed by SIGKILL)
    held: bool = False  # stopped on purpose: not restarted


@dataclass
class ProfileConfig:
    database: str = "postgres"  # or "sqlite"
    redis: bool = True
    web_workers: int = 2
    extra_env: dict[str, str] = field(default_factory=dict)


class LiveProfile:
    """Start with `with LiveProfile(tmp, ProfileConfig()) as profile:`; everything it started stops on exit."""

    def __init__(self, workdir: Path, config: ProfileConfig) -> None:
        self.workdir = workdir
        self.config = config
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.sink = SmtpSink()
        self.redis = RedisServer(workdir) if config.redis else None
        self.proxy: CuttableProxy | None = None
        self._database_name = f"career_relay_live_{os.getpid()}_{self.port}"
        self.processes: dict[str, Supervised] = {}
        self._stopping = threading.Event()
        self._supervisor = threading.Thread(target=self._supervise, daemon=True)
        self.env: dict[str, str] = {}

    # lifecycle

    def __enter__(self) -> "LiveProfile":
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        self.sink.start()
        if self.redis is not None:
            self.redis.start()
        self.env = self._environment(self._database_url())
        # README's deploy steps, command for command, before the Procfile's processes.
        self.manage("check", "--deploy")
        self.manage("migrate", "-v0")
        self.manage("collectstatic", "--noinput", "-v0")
        for name, line in procfile().items():
            self.processes[name] = Supervised(name, self._command(name, line), self.workdir / f"{name}.log")
            self._spawn(self.processes[name])
        self._supervisor.start()
        _wait_until(lambda: self.get_status("/healthz") == 200, timeout=60, what="gunicorn /healthz")

    def stop(self) -> None:
        self._stopping.set()
        for supervised in self.processes.values():
            if supervised.process is not None and supervised.process.poll() is None:
                with suppress(ProcessLookupError):
                    os.killpg(supervised.process.pid, signal.SIGTERM)
        for supervised in self.processes.values():
            if supervised.process is not None:
                try:
                    supervised.process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    with suppress(ProcessLookupError):
                        os.killpg(supervised.process.pid, signal.SIGKILL)
        if self.redis is not None:
            self.redis.stop()
        with suppress(Exception):
            self.sink.stop()
        if self.proxy is not None:
            self.proxy.stop()
            self._drop_database()

    def _database_url(self) -> str:
        if self.config.database == "sqlite":
            return f"sqlite:///{self.workdir / 'live.sqlite3'}"
        import psycopg

        with psycopg.connect(POSTGRES_SERVER, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{self._database_name}"')
            connection.execute(f'CREATE DATABASE "{self._database_name}"')
        self.proxy = CuttableProxy(upstream_port=int(POSTGRES_SERVER.rsplit(":", 1)[1].split("/")[0]))
        return f"postgres://postgres@127.0.0.1:{self.proxy.port}/{self._database_name}"

    def _drop_database(self) -> None:
        import psycopg

        with suppress(Exception), psycopg.connect(POSTGRES_SERVER, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{self._database_name}" WITH (FORCE)')

    def _environment(self, database_url: str) -> dict[str, str]:
        # A clean environment, as systemd's EnvironmentFile gives: nothing of the test run's own (pytest-env's
        # TASK_BACKEND, Playwright's DJANGO_ALLOW_ASYNC_UNSAFE, …) may leak into the product.
        kept = ("HOME", "LANG", "LC_ALL", "TMPDIR", "TZ")
        env = {key: os.environ[key] for key in kept if key in os.environ}
        env.update(
            DJANGO_SETTINGS_MODULE="config.settings",
            DATABASE_URL=database_url,
            SECRET_KEY="live-profile-secret-key-long-enough-for-the-deploy-check-0123456789",
            DEBUG="0",
            ALLOWED_HOSTS="127.0.0.1",
            SITE_URL=self.url,
            EMAIL_URL=f"smtp://127.0.0.1:{self.sink.port}",
            STATIC_ROOT=str(self.workdir / "static"),
            MEDIA_ROOT=str(self.workdir / "media"),
            PORT=str(self.port),
            WEB_CONCURRENCY=str(self.config.web_workers),
            PATH=f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
            PYTHONUNBUFFERED="1",
            # A mail a killed worker held becomes 配信不明 after this long (300 s in production).
            OUTBOX_CLAIM_TIMEOUT_SECONDS="30",
        )
        if self.redis is not None:
            env["REDIS_URL"] = self.redis.url
        env.update(self.config.extra_env)
        return env

    def _command(self, name: str, line: str) -> list[str]:
        expanded = re.sub(r"\$\{(\w+)(?::-([^}]*))?\}", lambda m: self.env.get(m.group(1), m.group(2) or ""), line)
        command = shlex.split(expanded)
        if name == "scheduler":
            command += ["--interval", "5"]  # look at the clock every 5 s: each job still runs once per slot
        return command

    def _spawn(self, supervised: Supervised) -> None:
        out = supervised.log.open("ab")
        supervised.process = subprocess.Popen(
            supervised.command, cwd=BASE_DIR, env=self.env, stdout=out, stderr=out, start_new_session=True
        )

    def _supervise(self) -> None:
        while not self._stopping.wait(0.2):
            for supervised in self.processes.values():
                process = supervised.process
                if supervised.held or process is None or process.poll() is None:
                    continue
                supervised.exits.append(process.returncode)
                time.sleep(RESTART_SECONDS)
                if self._stopping.is_set() or supervised.held:
                    return
                supervised.restarts += 1
                self._spawn(supervised)

    # faults

    def kill(self, name: str) -> None:
        """SIGKILL the process and every process under it (gunicorn's workers, RQ's work horse, which RQ puts in a
        session of its own), as an OOM killer or a lost machine would."""
        process = self.processes[name].process
        assert process is not None
        for pid in [*_descendants(process.pid), process.pid]:
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    @contextmanager
    def redis_down(self) -> Iterator[None]:
        assert self.redis is not None
        self.redis.stop()
        try:
            yield
        finally:
            self.redis.start()

    @contextmanager
    def database_down(self) -> Iterator[None]:
        assert self.proxy is not None, "a database outage is played on PostgreSQL"
        self.proxy.cut()
        try:
            yield
        finally:
            self.proxy.restore()

    # reading the product

    def manage(self, *args: str, stdin: str | None = None) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=BASE_DIR,
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def python(self, code: str) -> str:
        """Run `code` in `manage.py shell` against the profile's database; returns what it printed."""
        return self.manage("shell", "-c", code)

    def get_status(self, path: str) -> int | None:
        import requests

        try:
            return requests.get(self.url + path, timeout=3).status_code
        except requests.RequestException:
            return None

    def logs(self) -> str:
        return "\n".join(
            f"== {p.name} (restarts: {p.restarts})\n" + p.log.read_text(errors="replace")[-4000:]
            for p in self.processes.values()
            if p.log.exists()
        )


# --- a person at a browser -----------------------------------------------------------------------------------------


@dataclass
class Form:
    action: str
    method: str
    fields: list[tuple[str, str]]
    buttons: list[tuple[str, str]]
    has_file: bool


class _FormReader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._select: str | None = None
        self._select_value: str | None = None
        self._textarea: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v or "") for k, v in attrs}
        if tag == "form":
            self.forms.append(Form(a.get("action", ""), a.get("method", "get").lower(), [], [], False))
            return
        if not self.forms:
            return
        form = self.forms[-1]
        name = a.get("name")
        if tag == "input" and name and "disabled" not in a:
            kind = a.get("type", "text").lower()
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    form.fields.append((name, a.get("value", "on")))
            elif kind == "submit":
                form.buttons.append((name, a.get("value", "")))
            elif kind == "file":
                form.has_file = True
            else:
                form.fields.append((name, a.get("value", "")))
        elif tag == "button" and name:
            form.buttons.append((name, a.get("value", "")))
        elif tag == "select" and name:
            self._select, self._select_value = name, None
        elif tag == "option" and self._select is not None:
            if self._select_value is None or "selected" in a:
                self._select_value = a.get("value", "")
        elif tag == "textarea" and name:
            self._textarea, self._text = name, []

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "select" and self._select is not None and self.forms:
            self.forms[-1].fields.append((self._select, self._select_value or ""))
            self._select = None
        elif tag == "textarea" and self._textarea is not None and self.forms:
            self.forms[-1].fields.append((self._textarea, "".join(self._text)))
            self._textarea = None


def _site_wide(form: Form) -> bool:
    """The header's forms on every page (language, sign-out): never the one a test means."""
    return "/i18n/" in form.action or "logout" in form.action


def forms_in(html: str) -> list[Form]:
    reader = _FormReader()
    reader.feed(html)
    return reader.forms


class Browser:
    """A requests session that fills and submits the product's forms as a person would."""

    def __init__(self, base_url: str, *, source_address: str | None = None) -> None:
        import requests
        from requests.adapters import HTTPAdapter

        self.base_url = base_url
        self.session = requests.Session()
        if source_address is not None:
            adapter = _SourceAddressAdapter(source_address)
            self.session.mount("http://", adapter)
        else:
            self.session.mount("http://", HTTPAdapter())

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.session.get(urljoin(self.base_url, path), timeout=kwargs.pop("timeout", 60), **kwargs)

    def submit(
        self,
        response: Any,
        values: Mapping[str, str | list[str]] | None = None,
        *,
        choose: Callable[[Form], bool] = lambda form: form.method == "post" and not _site_wide(form),
        button: tuple[str, str] | None = None,
        files: dict[str, tuple[str, bytes]] | None = None,
        timeout: float = 60,
    ) -> Any:
        form = next((f for f in forms_in(response.text) if choose(f)), None)
        assert form is not None, f"no such form on {response.url}: {response.text[:2000]}"
        data: dict[str, list[str]] = {}
        for name, value in form.fields:
            data.setdefault(name, []).append(value)
        for name, given in (values or {}).items():
            data[name] = given if isinstance(given, list) else [given]
        if button is not None:
            data[button[0]] = [button[1]]
        url = urljoin(response.url, form.action) if form.action else response.url
        headers = {"Referer": response.url}
        return self.session.post(url, data=data, files=files, headers=headers, timeout=timeout)

    def sign_in(self, email: str, password: str = PASSWORD) -> None:
        page = self.get("/accounts/login/")
        answer = self.submit(
            page, {"username": email, "password": password}, choose=lambda form: "username" in dict(form.fields)
        )
        assert "/accounts/login/" not in answer.url, answer.text[:2000]


class _SourceAddressAdapter:
    """requests' HTTP adapter bound to one loopback source address (127.0.0.0/8 is all loopback on Linux), so a
    drill can stand for many visitors without lifting the product's per-address limits."""

    def __new__(cls, source_address: str) -> Any:
        from requests.adapters import HTTPAdapter

        class Bound(HTTPAdapter):
            def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
                kwargs["source_address"] = (source_address, 0)
                super().init_poolmanager(*args, **kwargs)

        return Bound()


# --- the data a run starts from ----------------------------------------------------------------------------------

SETUP = """
import json
from accounts.models import User
from companies.services import company_create
from companies.models import RelayLink
from mailings.models import MailSettings
from django.contrib.auth.hashers import make_password

admin = User.objects.create(email="ops@live.example.jp", name="運営 管理者", operator_role="admin",
                            password=make_password({password!r}))
made = []
for n in range({companies}):
    company = company_create(name=f"株式会社ライブ{{n}}", name_kana="", contract_terms={{"cooling_off_hours": 0}},
                             actor=admin)
    MailSettings.objects.update_or_create(company=company, defaults={{
        "sender_name": "採用担当", "reply_to": f"saiyo{{n}}@live.example.jp", "signature": "採用担当"}})
    User.objects.create(email=f"hr{{n}}@live.example.jp", name=f"人事 {{n}}", company=company,
                        company_role="owner", password=make_password({password!r}))
    codes = [company.links.get().code]
    for extra in range({links_each} - 1):
        codes.append(RelayLink.objects.create(company=company, label=f"追加{{extra}}").code)
    made.append({{"company": company.pk, "hr": f"hr{{n}}@live.example.jp", "codes": codes}})
print(json.dumps(made))
"""


@dataclass
class LiveCompany:
    company: int
    hr: str
    codes: list[str]


def companies_set_up(profile: LiveProfile, *, companies: int = 1, links_each: int = 1) -> list[LiveCompany]:
    import json

    code = SETUP.format(password=PASSWORD, companies=companies, links_each=links_each)
    output = profile.python(code).strip().splitlines()[-1]
    return [LiveCompany(**row) for row in json.loads(output)]


def registration_values(n: int, prefix: str = "live.person") -> dict[str, str]:
    return {
        "name": "佐藤 美咲",
        "furigana": "サトウ ミサキ",
        "email": f"{prefix}{n}@example.jp",
        "phone": f"090-{5000 + n // 10000:04d}-{n % 10000:04d}",
        "prefecture": "13",
        "job_category": "software",
        "years_of_experience": "3",
        "skills": "Python",
        "desired_salary": "500",
        "career_summary": "Web サービスの開発に3年間携わりました。",
        "agree_service": "on",
    }


def register(browser: Browser, code: str, n: int, *, prefix: str = "live.person") -> int:
    """A visitor opens the relay link and registers; returns the answer's status (302 to the thanks page)."""
    page = browser.get(f"/r/{code}")
    if page.status_code != 200:
        return int(page.status_code)
    answer = browser.submit(page, registration_values(n, prefix), choose=lambda f: "email" in dict(f.fields))
    status = int(answer.history[0].status_code) if answer.history else int(answer.status_code)
    return status if not (status == 302 and "/thanks" not in answer.url) else 299


VERIFY_LINK = re.compile(r"https?://127\.0\.0\.1:\d+(/me/verify/\S+/)")


def verify_from_sink(profile: LiveProfile, browser: Browser, recipient: str, *, timeout: float) -> int:
    mail = profile.sink.wait_for(recipient, timeout=timeout, containing="/me/verify/")
    match = VERIFY_LINK.search(mail.body)
    assert match, mail.body
    return int(browser.get(match.group(1)).status_code)
