"""A browser's side of Streamlit's websocket protocol, without the browser: enough to load the server exactly as a
tab does (``bench/load.py``'s simulated classroom, and tests that drive a server without a browser).

What a tab does, read from Streamlit 1.67's frontend (``static/js/index.*.js``) and server
(``web/server/starlette/starlette_websocket.py``, ``runtime/app_session.py``):

* ``GET /_stcore/health`` sets the ``_streamlit_xsrf`` cookie; the websocket to ``/_stcore/stream`` is opened with
  that cookie, an ``Origin`` header and the subprotocols ``["streamlit", <xsrf cookie value>]`` (with
  ``server.enableXsrfProtection=true`` the server checks the second entry against the cookie).
* Every run is asked for with a ``BackMsg.rerun_script`` ``ClientState``: the query string, the widget states, the
  page (on the first load ``page_script_hash=""`` and ``page_name`` = the URL path; afterwards the current page's
  hash; a page switch sends the target page's hash), the browser context (``context_info``) and the hashes of the
  ``ForwardMsg`` s it has cached, so the server may send a ``ref_hash`` instead of a big cacheable message again.
* The run ends with a ``script_finished`` ForwardMsg (``FINISHED_EARLY_FOR_RERUN`` is not the end: the script
  called ``st.rerun``/``st.switch_page`` and a new run follows); after every full run the tab ages its message cache
  (``global.maxCachedMessageAge`` runs, sent in ``new_session.config``).
* It sends an ``app_heartbeat`` every 15 s.
"""

from __future__ import annotations

import asyncio
import time
import urllib.request
from dataclasses import dataclass, field

from streamlit.proto.Alert_pb2 import Alert
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

#: The app's catch-all message for an unexpected exception (``ui/errors.py`` ``run_safely``).
CATCH_ALL = "Something went wrong"
HEARTBEAT_SECONDS = 15.0
#: What counts as an error, in report order.
ERROR_KINDS = ("exception", "something_went_wrong", "error_status", "page_not_found", "timeout", "disconnect",
               "connect", "protocol")


@dataclass
class Problem:
    kind: str
    detail: str


def problems_in(msg: ForwardMsg) -> list[Problem]:
    """The errors a browser would show for this ForwardMsg: an exception element (also a compile error sent as a
    session event), the app's catch-all ``st.error``, a page-not-found notice, a run that ended with an error."""
    found = []
    kind = msg.WhichOneof("type")
    if kind == "delta":
        delta = msg.delta
        which = delta.WhichOneof("type")
        elements = ([delta.new_element] if which == "new_element"
                    else list(delta.new_transient.elements) if which == "new_transient" else [])
        for element in elements:
            what = element.WhichOneof("type")
            if what == "exception":
                found.append(Problem("exception", f"{element.exception.type}: {element.exception.message}"[:300]))
            elif (what == "alert" and element.alert.format == Alert.ERROR
                  and CATCH_ALL.lower() in element.alert.body.lower()):
                found.append(Problem("something_went_wrong", element.alert.body[:300]))
    elif kind == "session_event" and msg.session_event.HasField("script_compilation_exception"):
        e = msg.session_event.script_compilation_exception
        found.append(Problem("exception", f"{e.type}: {e.message}"[:300]))
    elif kind == "page_not_found":
        found.append(Problem("page_not_found", msg.page_not_found.page_name or "(the requested page)"))
    elif kind == "script_finished" and msg.script_finished == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
        found.append(Problem("error_status", "script_finished: FINISHED_WITH_COMPILE_ERROR"))
    return found


def explained_errors_in(msg: ForwardMsg) -> int:
    """``st.error`` s that are not the catch-all: the app explaining a value it cannot use (not a failure)."""
    if msg.WhichOneof("type") != "delta" or msg.delta.WhichOneof("type") != "new_element":
        return 0
    element = msg.delta.new_element
    return int(element.WhichOneof("type") == "alert" and element.alert.format == Alert.ERROR
               and CATCH_ALL.lower() not in element.alert.body.lower())


class CacheMiss(Exception):
    pass


class MessageCache:
    """The tab's ForwardMsg cache (the frontend's ``ForwardMsgCache``): cacheable messages by hash, aged by runs."""

    def __init__(self):
        self.messages: dict[str, list] = {}  # hash -> [serialized message, run count when last used]
        self.run_count = 0

    def resolve(self, msg: ForwardMsg, raw: bytes) -> ForwardMsg:
        if msg.WhichOneof("type") == "ref_hash":
            entry = self.messages.get(msg.ref_hash)
            if entry is None:
                raise CacheMiss(f"cached ForwardMsg miss [hash={msg.ref_hash}]")
            entry[1] = self.run_count
            full = ForwardMsg.FromString(entry[0])
            full.metadata.CopyFrom(msg.metadata)
            return full
        if msg.metadata.cacheable and msg.hash:
            if msg.hash in self.messages:
                self.messages[msg.hash][1] = self.run_count
            else:
                self.messages[msg.hash] = [raw, self.run_count]
        return msg

    def hashes(self) -> list[str]:
        return list(self.messages)

    def end_of_run(self, max_age: int) -> None:
        self.run_count += 1
        for key in [k for k, (_, used) in self.messages.items() if self.run_count - used > max_age]:
            del self.messages[key]


@dataclass
class RunResult:
    """One rerun as the tab saw it: from sending ``rerun_script`` to the final ``script_finished``."""

    seconds: float
    problems: list[Problem] = field(default_factory=list)
    bytes: int = 0
    messages: int = 0
    refs: int = 0  # big messages the server did not resend (the tab had them cached)
    explained: int = 0
    query: str = ""  # the query string the page wrote back (what the tab's address bar shows)
    page: str = ""  # the url path of the page the server ran ("" is the home page)
    abandoned: bool = False  # no script_finished even after ``give_up`` seconds: the tab is no use any more

    @property
    def ok(self) -> bool:
        return not self.problems


def xsrf_cookie(base_url: str, timeout: float = 10.0) -> str | None:
    """What the tab's first request gets: the ``_streamlit_xsrf`` cookie (None if XSRF protection is off)."""
    with urllib.request.urlopen(f"{base_url}/_stcore/health", timeout=timeout) as response:
        for header in response.headers.get_all("set-cookie") or []:
            name, _, rest = header.partition("=")
            if name.strip() == "_streamlit_xsrf":
                return rest.split(";", 1)[0]
    return None


class Tab:
    """One browser tab: one websocket, one Streamlit session. ``await tab.open(page, query)`` loads a page as a
    typed URL does; ``await tab.rerun(query, page=...)`` is the rerun that follows a control change (or a page
    switch). Not safe for two reruns at once (a tab waits for its run to end before the next change)."""

    def __init__(self, host: str, port: int, timeout: float = 30.0, give_up: float | None = None,
                 base_path: str = "", agent: str = "bench.load (a simulated browser tab)"):
        base = f"/{base_path.strip('/')}" if base_path.strip("/") else ""  # server.baseUrlPath
        self.base_url = f"http://{host}:{port}{base}"
        self.ws_url = f"ws://{host}:{port}{base}/_stcore/stream"
        self.agent = agent  # the User-Agent header: the server log can tell who this tab is
        self.timeout = timeout  # a run slower than this is an error ...
        self.give_up = max(timeout, give_up if give_up is not None else 3 * timeout)  # ... but a tab waits this long
        self.ws = None
        self.cache = MessageCache()
        self.max_age = 2
        self.pages: dict[str, str] = {}  # url path -> page_script_hash (from the navigation message)
        self.page_hash = ""
        self.page = ""
        self.query = ""
        self.session_id = ""
        self._run: RunResult | None = None
        self._done: asyncio.Future | None = None
        self._started = 0.0
        self._reader: asyncio.Task | None = None
        self._heartbeat: asyncio.Task | None = None
        self.closed_reason: str | None = None
        self.auto_reruns = 0

    async def connect(self) -> None:
        cookie = await asyncio.to_thread(xsrf_cookie, self.base_url)
        protocols = ["streamlit"] + ([cookie] if cookie else [])
        headers = {"Cookie": f"_streamlit_xsrf={cookie}"} if cookie else {}
        self.ws = await connect(self.ws_url, subprotocols=protocols, origin=self.base_url,
                                additional_headers=headers, max_size=None, open_timeout=self.timeout,
                                user_agent_header=self.agent)
        self.closed_reason = None
        self._reader = asyncio.create_task(self._read(), name="tab-reader")
        self._heartbeat = asyncio.create_task(self._beat(), name="tab-heartbeat")

    async def close(self) -> None:
        for task in (self._heartbeat, self._reader):
            if task is not None:
                task.cancel()
        if self.ws is not None:
            try:
                await asyncio.wait_for(self.ws.close(), 5)
            except Exception:
                pass
        for task in (self._heartbeat, self._reader):
            if task is not None:
                try:
                    await task
                except BaseException:
                    pass
        self.ws = self._reader = self._heartbeat = None

    async def send_raw(self, data: bytes) -> None:
        await self.ws.send(data)

    def _client_state(self, query: str, page: str | None):
        msg = BackMsg()
        state = msg.rerun_script
        state.query_string = query
        state.widget_states.SetInParent()
        if page is not None and page in self.pages:  # a page switch, as the sidebar or st.page_link does it
            state.page_script_hash = self.pages[page]
        elif page is not None and not self.page_hash:  # the first load of a typed URL
            state.page_name = page
        else:
            state.page_script_hash = self.page_hash
            page = self.page
        state.cached_message_hashes.extend(self.cache.hashes())
        info = state.context_info
        info.timezone, info.timezone_offset, info.locale = "UTC", 0, "en-US"
        info.url = f"{self.base_url}/{page or ''}" + (f"?{query}" if query else "")
        info.is_embedded, info.color_scheme = False, "light"
        return msg

    async def open(self, page: str, query: str = "") -> RunResult:
        """Load ``/<page>?<query>`` as a typed or clicked URL does."""
        if self.ws is None:
            await self.connect()
        return await self._request(self._client_state(query, page), page)

    async def rerun(self, query: str, page: str | None = None) -> RunResult:
        """The rerun after a control change (``page=None``) or a switch to ``page`` with ``query``."""
        return await self._request(self._client_state(query, page), page)

    async def _request(self, msg: BackMsg, page: str | None) -> RunResult:
        if self._done is not None:
            raise RuntimeError("a tab runs one rerun at a time")
        loop = asyncio.get_running_loop()
        self._run, self._done = RunResult(0.0), loop.create_future()
        self._started = time.perf_counter()
        run = self._run
        try:
            if self.ws is None or self.closed_reason:
                raise ConnectionError(self.closed_reason or "not connected")
            self.query = msg.rerun_script.query_string  # the address bar, until the page writes it back
            await self.ws.send(msg.SerializeToString())
            try:
                await asyncio.wait_for(asyncio.shield(self._done), self.timeout)
            except asyncio.TimeoutError:
                run.problems.append(Problem("timeout", f"no script_finished within {self.timeout:g} s"))
                # like a browser, go on waiting (the run still ends, and its true length is what we report)
                await asyncio.wait_for(asyncio.shield(self._done), self.give_up - self.timeout)
        except asyncio.TimeoutError:
            run.abandoned = True
        except (ConnectionError, ConnectionClosed) as error:
            if not any(p.kind == "disconnect" for p in run.problems):  # the reader may have said so already
                run.problems.append(Problem("disconnect", str(error) or type(error).__name__))
        finally:
            run.seconds = time.perf_counter() - self._started
            self._run = self._done = None
        if page is not None and page in self.pages:
            self.page = page
        run.query, run.page = self.query, self.page
        return run

    def _finish(self, problem: Problem | None = None) -> None:
        if self._done is not None and not self._done.done():
            if self._run is not None and problem is not None:
                self._run.problems.append(problem)
            self._done.set_result(None)

    async def _beat(self) -> None:
        msg = BackMsg(app_heartbeat=True).SerializeToString()
        while True:
            await asyncio.sleep(HEARTBEAT_SECONDS)
            try:
                await self.ws.send(msg)
            except ConnectionClosed:
                return

    async def _read(self) -> None:
        try:
            async for raw in self.ws:
                if isinstance(raw, str):
                    self._fail(Problem("protocol", "the server sent a text frame"))
                    continue
                self._handle(raw)
            reason = f"closed by the server (code {self.ws.close_code})"
        except ConnectionClosed as closed:
            reason = f"connection closed: {closed}"
        except asyncio.CancelledError:
            raise
        except Exception as error:  # a broken message: the tab would show an error and stop
            reason = f"{type(error).__name__}: {error}"
            self._fail(Problem("protocol", reason))
        self.closed_reason = reason
        self._finish(Problem("disconnect", reason))

    def _fail(self, problem: Problem) -> None:
        if self._run is not None:
            self._run.problems.append(problem)

    def _handle(self, raw: bytes) -> None:
        msg = ForwardMsg.FromString(raw)
        run = self._run
        if run is not None:
            run.bytes += len(raw)
            run.messages += 1
            run.refs += msg.WhichOneof("type") == "ref_hash"
        try:
            msg = self.cache.resolve(msg, raw)
        except CacheMiss as miss:
            self._fail(Problem("protocol", str(miss)))
            return
        kind = msg.WhichOneof("type")
        for problem in problems_in(msg):
            self._fail(problem)
        if run is not None:
            run.explained += explained_errors_in(msg)
        if kind == "new_session":
            session = msg.new_session
            self.page_hash = session.page_script_hash
            if session.HasField("config") and session.config.max_cached_message_age:
                self.max_age = session.config.max_cached_message_age
            if session.initialize.session_id:
                self.session_id = session.initialize.session_id
        elif kind == "navigation":
            self.pages = {p.url_pathname: p.page_script_hash for p in msg.navigation.app_pages}
            self.page_hash = msg.navigation.page_script_hash or self.page_hash
            self.page = next((p for p, h in self.pages.items() if h == self.page_hash), self.page)
        elif kind == "page_info_changed":
            self.query = msg.page_info_changed.query_string
        elif kind == "auto_rerun":
            self.auto_reruns += 1
        elif kind == "script_finished":
            status = msg.script_finished
            if status == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                return  # st.rerun / st.switch_page: another run follows
            if status == ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY:
                self.cache.end_of_run(self.max_age)
                return
            self.cache.end_of_run(self.max_age)
            self._finish()
