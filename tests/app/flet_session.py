"""Level 2 of FLET.md's "Testing without a browser": a real flet Session on a fake client.

The fake plays the Flutter client: every outgoing message is msgpack-encoded exactly as
the real transport does (so the snapshots later diffs use are recorded), ``push_route`` is
answered with the route patch and a route_change event, and events are fired as the client
fires them (props patch first, then the event). Relies on flet internals: flet is pinned.

    with app_session(ctx, route="/households", width=390) as s:
        s.type("household-search", "Sok")
        s.click("add-household")
        assert s.route == "/households/new"
"""
from __future__ import annotations

import asyncio
import dataclasses
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, Callable, Iterator, Optional

import flet as ft
import msgpack
from flet.controls.base_control import BaseControl
from flet.messaging.connection import Connection
from flet.messaging.protocol import MessageAction, configure_encode_object_for_msgpack
from flet.messaging.session import Session
from flet.pubsub.pubsub_hub import PubSubHub

_encode = configure_encode_object_for_msgpack(BaseControl)


class FakeClient(Connection):
    def __init__(self, loop: asyncio.AbstractEventLoop):
        super().__init__()
        self.loop = loop
        self.executor = ThreadPoolExecutor(max_workers=2)
        self.pubsubhub = PubSubHub(loop=loop, executor=self.executor)
        self.page_url = "http://127.0.0.1:8550"
        self.session: Optional[Session] = None
        self.messages: list[Any] = []
        self.crashes: list[str] = []
        self.bytes_sent = 0

    def send_message(self, message) -> None:
        self.bytes_sent += len(msgpack.packb([message.action, message.body], default=_encode))
        self.messages.append(message)
        if message.action == MessageAction.SESSION_CRASHED:
            self.crashes.append(str(message.body))
        if message.action == MessageAction.INVOKE_METHOD:
            body = message.body
            self.loop.create_task(self._answer(body.control_id, body.call_id, body.name, body.args or {}))

    async def _answer(self, control_id: int, call_id: str, name: str, args: dict) -> None:
        assert self.session is not None
        if name == "push_route":
            route = args["route"]
            self.session.apply_page_patch({"route": route})
            self.session.handle_invoke_method_results(control_id, call_id, None, None)
            await self.session.dispatch_event(self.session.page._i, "route_change", {"route": route})
        else:
            # Services the test client does not have (clipboard, geolocator…): answer with an error.
            self.session.handle_invoke_method_results(control_id, call_id, None, f"{name} not available here")


class LoopThread:
    """An event loop in a thread: pytest processes that use Playwright cannot asyncio.run()."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro, timeout: float = 30) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def call(self, fn: Callable[[], Any], timeout: float = 30) -> Any:
        async def wrapper():
            return fn()

        return self.run(wrapper(), timeout)

    def settle(self, rounds: int = 5) -> None:
        """Let scheduled tasks (route changes, run_task work) run."""
        for _ in range(rounds):
            self.run(asyncio.sleep(0.02))

    def close(self) -> None:
        async def cancel_rest():
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        try:
            self.run(cancel_rest(), timeout=10)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(timeout=5)


def walk(node: Any, seen: Optional[set] = None) -> Iterator[BaseControl]:
    """Every control reachable from ``node`` (views, appbar, navigation, dialogs…)."""
    seen = seen if seen is not None else set()
    if node is None or id(node) in seen:
        return
    if isinstance(node, (list, tuple)):
        seen.add(id(node))
        for item in node:
            yield from walk(item, seen)
        return
    if not isinstance(node, BaseControl):
        return
    seen.add(id(node))
    yield node
    for f in dataclasses.fields(node):
        if f.name.startswith("_") and f.name not in ("_overlay", "_dialogs"):
            continue
        value = getattr(node, f.name, None)
        if isinstance(value, (BaseControl, list, tuple)):
            yield from walk(value, seen)


class AppSession:
    def __init__(self, runner: LoopThread, client: FakeClient, session: Session):
        self.runner = runner
        self.client = client
        self.session = session
        self.page = session.page

    @property
    def route(self) -> str:
        return self.page.route

    def controls(self) -> list[BaseControl]:
        return list(walk([self.page.views, self.page._dialogs]))

    def find(self, identifier: str) -> Optional[BaseControl]:
        for control in self.controls():
            if isinstance(control, ft.Semantics) and control.identifier == identifier:
                return control.content
        return None

    def shown(self, identifier: str) -> bool:
        """Whether the node with this test id is on screen (its wrapper and content visible)."""
        for control in self.controls():
            if isinstance(control, ft.Semantics) and control.identifier == identifier:
                return control.visible is not False and getattr(control.content, "visible", True) is not False
        return False

    def get(self, identifier: str) -> BaseControl:
        control = self.find(identifier)
        assert control is not None, f"no control with test id {identifier!r} on {self.route}"
        return control

    def ids(self) -> set[str]:
        return {c.identifier for c in self.controls() if isinstance(c, ft.Semantics) and c.identifier}

    def texts(self) -> str:
        """All visible text of the screen, for assertions on what the official reads."""
        out = []
        for c in self.controls():
            if not getattr(c, "visible", True):
                continue
            for name in ("value", "label", "error", "title", "text", "helper", "error_text"):
                value = getattr(c, name, None)
                if isinstance(value, str) and value:
                    out.append(value)
            if isinstance(c, (ft.Button, ft.FilledButton, ft.OutlinedButton, ft.TextButton)) and isinstance(
                    c.content, str):
                out.append(c.content)
        return "\n".join(out)

    def fire(self, control: BaseControl, event: str, data: Any = None, props: Optional[dict] = None) -> None:
        """As the client does: props patch first, then the event; a handler that raises fails the test."""
        async def go():
            if props:
                self.session.apply_patch(control._i, props)
            await self.session.dispatch_event(control._i, event, data)

        self.runner.run(go())
        self.runner.settle()
        assert not self.client.crashes, self.client.crashes[-1]

    def click(self, identifier: str) -> None:
        control = self.get(identifier)
        if isinstance(control, ft.Chip):
            self.fire(control, "select", props={"selected": not control.selected})
        elif isinstance(control, ft.Checkbox):
            self.fire(control, "change", props={"value": not control.value})
        else:
            self.fire(control, "click")

    def type(self, identifier: str, text: str) -> None:
        self.fire(self.get(identifier), "change", props={"value": text})

    def submit(self, identifier: str) -> None:
        self.fire(self.get(identifier), "submit")

    def select(self, identifier: str, value: str) -> None:
        self.fire(self.get(identifier), "select", props={"value": value})

    def go(self, route: str) -> None:
        self.runner.run(self.page.push_route(route))
        self.runner.settle()
        assert not self.client.crashes, self.client.crashes[-1]

    def resize(self, width: float, height: float) -> None:
        self.fire(self.page, "resize", {"width": width, "height": height},
                  props={"width": width, "height": height})


@contextmanager
def app_session(ctx, *, route: str = "/households", width: float = 390, height: float = 844,
                factory: Optional[Callable[[], Any]] = None) -> Iterator[AppSession]:
    """The app's main() on a fresh Session, as when a phone or a browser tab connects
    (``factory`` opens the context instead of handing ``ctx`` over, e.g. to make it fail)."""
    from views.app import make_main

    runner = LoopThread()
    client = FakeClient(runner.loop)

    async def connect() -> Session:
        session = Session(client)
        client.session = session
        session.apply_page_patch({"route": route, "width": width, "height": height, "web": True,
                                  "platform": "android" if width <= 600 else "linux"})
        # Encoded like the register-client answer: the encoder records the snapshots later diffs use.
        client.bytes_sent += len(msgpack.packb(session.get_page_patch(), default=_encode))
        await make_main(factory or (lambda: ctx.ui))(session.page)
        return session

    try:
        session = runner.run(connect())
        runner.settle()
        assert not client.crashes, client.crashes[-1]
        yield AppSession(runner, client, session)
    finally:
        runner.close()
        client.executor.shutdown(wait=False)
