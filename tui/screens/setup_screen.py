"""First run: the setup wizard. Venue kind, venue details, platform enrollment, the owner's account.

Each step is checked as it is typed, by the agent's own checks. The register is created (encrypted,
through the API's `open_register(create=True)`) when the venue's details are accepted, so a wizard
abandoned after that step still leaves a usable register; enrollment and the owner's account can be done
later in Settings. The last step creates the first operator account, an owner with a PIN:
from then on the screen locks after idle time and every action is attributed to whoever logged in.
"""

from __future__ import annotations

from textual import on, work
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Static

from agent.domain.errors import DengjiError
from agent.validation import Problem
from agent.validation.venue import VenueDetails
from tui.forms.setup_form import KINDS, SetupForm
from tui.keys import Key
from tui.messages import Enrolled, PinChosen, SettingChanged, VenueReady
from tui.screens.base import DengjiScreen
from tui.screens.passphrase_modal import PassphraseModal
from tui.widgets.choice_select import ChoiceSelect
from tui.widgets.enroll_panel import EnrollPanel
from tui.widgets.pin_panel import PinPanel

_STEPS = (("场所类型", "Venue kind"), ("场所信息", "Venue details"), ("连接平台", "Platform"),
          ("操作密码", "Operator PIN"))


class SetupScreen(DengjiScreen):
    KEYS = (
        Key("ctrl+s", "next", "下一步", "Next step", priority=True),
        Key("enter", "", "下一项", "Next field"),
    )
    TITLE_ZH, TITLE_EN = "初次设置", "Setup"
    HELP_ZH = ("初次使用的设置，共四步：场所类型、场所信息、连接平台、操作密码。\n"
               "每填一项按 Enter 到下一项，按 Ctrl+S 或“下一步”继续。F9 切换中文/English。")
    HELP_EN = ("First-run setup in four steps: venue kind, venue details, platform, operator PIN.\n"
               "Enter moves to the next field; Ctrl+S or the Next button goes on. F9 switches language.")

    def __init__(self) -> None:
        super().__init__(id="setup")
        self.form = SetupForm()
        self.problems: dict[str, Problem] = {}
        self.left: set[str] = set()
        self.busy = False

    def compose_body(self):  # type: ignore[no-untyped-def]
        step = self.form.step
        steps = "  ".join((f"[b]{i + 1}. {self.say(*names)}[/b]" if i == step else f"{i + 1}. {self.say(*names)}")
                          for i, names in enumerate(_STEPS))
        yield Static(steps, id="setup-steps")
        with Vertical(id="setup-body"):
            if step == 0:
                yield Static(self.say("欢迎使用“登记”。请先选择您的场所类型（按空格键打开列表）：",
                                      "Welcome to dengji. First choose the kind of venue (Space opens the list):"))
                options = [(self.say(zh, en), choice) for choice, zh, en in KINDS]
                yield ChoiceSelect(options, id="s-kind", value=self.form.kind, allow_blank=False, compact=True)
            elif step == 1:
                yield Static(self.say("请填写场所信息（带 * 的必填）：", "The venue's details (* required):"))
                for name, zh, en, required in self.form.venue_fields():
                    with Horizontal(classes="setup-row", id=f"row-s-{name}"):
                        yield Label(self.say(zh, en) + ("*" if required else " "))
                        yield Input(getattr(self.form, name), id=f"s-{name}", compact=True)
            elif step == 2:
                yield Static(self.say("连接公安机关的平台（可以以后在“设置”中再做）：",
                                      "Connect to the police platform (you can do this later in Settings):"))
                yield EnrollPanel(self.session.delivery, self.session.lang, self.session.settings.platform_url(),
                                  id="enroll-panel")
            else:
                yield Static(self.say("建立店主账号：离开电脑一段时间后屏幕会锁定，输入密码解锁；每项操作都记下操作员。",
                                      "Create the owner's account: the screen locks after idle time and the PIN "
                                      "unlocks it; every action records its operator."))
                yield PinPanel(self.session.lang, allow_none=True, name=self.say("店主", "owner"), id="pin-panel")
            if step < 3:
                with Horizontal(id="setup-buttons"):
                    yield Button(self.say("下一步  Ctrl+S", "Next  Ctrl+S"), id="next", compact=True)
                    if step == 2:
                        yield Button(self.say("以后再说", "Later"), id="skip", compact=True)
        yield Static("", id="setup-message")

    def on_mount(self) -> None:
        self._focus_first()

    def after_relabel(self) -> None:
        self._mark()

    def _focus_first(self) -> None:
        for widget in self.query("#setup-body Input, #setup-body ChoiceSelect"):
            widget.focus()
            return

    async def _go(self, step: int) -> None:
        self.form.step = step
        await self.recompose()
        self._focus_first()

    # -- typing ----------------------------------------------------------------------------------------

    @on(ChoiceSelect.Changed, "#s-kind")
    def _kind_changed(self, event: ChoiceSelect.Changed) -> None:
        if isinstance(event.value, str):
            self.form.kind = event.value

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        name = (event.input.id or "").removeprefix("s-")
        if event.input.id and event.input.id.startswith("s-") and hasattr(self.form, name):
            setattr(self.form, name, event.value)
            self._mark(typing=name)

    def on_descendant_blur(self, event) -> None:  # type: ignore[no-untyped-def]
        widget_id = getattr(event.widget, "id", None) or ""
        if widget_id.startswith("s-") and self.form.step == 1:
            self.left.add(widget_id.removeprefix("s-"))
            self._mark()

    def _mark(self, typing: str | None = None) -> None:
        if self.form.step != 1:
            return
        _, self.problems = self.form.problems()
        shown = {k: p for k, p in self.problems.items()
                 if k in self.left or (k == typing and not k == "name" and not p.code.endswith(".length"))}
        for name, *_ in self.form.venue_fields():
            for row in self.query(f"#row-s-{name}"):
                row.set_class(name in shown, "-invalid")
        focused = (self.focused.id or "").removeprefix("s-") if self.focused else ""
        problem = shown.get(focused) or next(iter(shown.values()), None)
        self._message(problem.text(self.session.lang) if problem else "", error=problem is not None)

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        if (event.input.id or "").startswith("s-"):
            event.stop()
            self.focus_next()

    def _message(self, text: str, *, error: bool = False) -> None:
        message = self.query_one("#setup-message", Static)
        message.update(text)
        message.set_class(error, "-error")

    # -- steps -----------------------------------------------------------------------------------------

    @on(Button.Pressed, "#next")
    async def _next_pressed(self) -> None:
        await self.action_next()

    @on(Button.Pressed, "#skip")
    async def _skip(self) -> None:
        await self._go(3)

    async def action_next(self) -> None:
        if self.busy:
            return
        step = self.form.step
        if step == 0:
            await self._go(1)
        elif step == 1:
            self.left = {name for name, *_ in self.form.venue_fields()}
            details, problems = self.form.problems()
            self._mark()
            if problems:
                first = next(name for name, *_ in self.form.venue_fields() if name in problems) \
                    if any(name in problems for name, *_ in self.form.venue_fields()) else None
                if first:
                    self.query_one(f"#s-{first}", Input).focus()
                return
            if self.session.registry is None and self.session.settings.needs_passphrase():
                self.app.push_screen(PassphraseModal(new=True),
                                     lambda chosen: self._passphrase_chosen(details, chosen))
            else:
                self._creating(details, None)
        elif step == 2:
            self.query_one(EnrollPanel).query_one("#enroll").press()

    def _passphrase_chosen(self, details: VenueDetails, chosen: object) -> None:
        if isinstance(chosen, str):
            self._creating(details, chosen)
        else:
            self._message(self.say("没有设口令，登记库还没有建立", "No passphrase chosen: the register is not made yet"))

    def _creating(self, details: VenueDetails, passphrase: str | None) -> None:
        self.busy = True
        self._message(self.say("正在建立加密登记库……", "Creating the encrypted register..."))
        self._create_store(details, passphrase)

    @work(thread=True, exclusive=True)
    def _create_store(self, details: VenueDetails, passphrase: str | None) -> None:
        """Create the store (or open it, if an earlier run got this far) and record the venue."""
        try:
            registry = self.session.registry or self.session.open_register(create=True, passphrase=passphrase)
            assert registry is not None
            venue = registry.set_venue(details)
            self.session.settings.ensure_saved()
        except (DengjiError, OSError) as exc:
            text = exc.text(self.session.lang) if isinstance(exc, DengjiError) else str(exc)
            self.app.call_from_thread(self._store_failed, text)
            return
        self.app.call_from_thread(self._store_made, registry, venue)

    def _store_failed(self, text: str) -> None:
        self.busy = False
        self._message(text, error=True)

    async def _store_made(self, registry: object, venue: object) -> None:
        self.busy = False
        self.session.use_registry(registry)  # type: ignore[arg-type]
        self.session.venue = venue  # type: ignore[assignment]
        await self._go(2)

    @on(Enrolled)
    async def _enrolled(self) -> None:
        url = self.query_one(EnrollPanel).url
        self.session.settings.set_platform_url(url)
        self.post_message(SettingChanged("platform_url", url))
        await self._go(3)

    @on(PinChosen)
    def _pin_chosen(self, event: PinChosen) -> None:
        if not event.pin:
            self.app.post_message(VenueReady())  # no account: the register works, the screen never locks
            return
        self._make_owner(event.name or "", event.pin)

    @work(thread=True, exclusive=True, group="owner")
    def _make_owner(self, name: str, pin: str) -> None:
        registry = self.session.registry
        assert registry is not None
        problem = registry.accounts.add_owner(name, pin)
        if problem is not None:
            self.app.call_from_thread(self.query_one(PinPanel).show_problem, problem.text(self.session.lang))
            return
        self.app.call_from_thread(self._owner_made, name)

    def _owner_made(self, name: str) -> None:
        self.session.accounts = True
        self.session.act_as(name)
        self.app.post_message(VenueReady())
