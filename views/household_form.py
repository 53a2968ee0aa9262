"""New or edit household: errors at the field, in the chosen language; nothing half-valid saved."""
from __future__ import annotations

from typing import Optional

import flet as ft

from app.viewmodels.household_form import VULNERABILITIES, HouseholdFormVM
from views.area_picker import AreaPicker
from views.duplicates import duplicates_panel
from views.env import Env, Screen
from views.form_focus import FormFocus
from views.geo import locate
from views.theme import GAP
from views.widgets import (
    changed_notice, draft_offer, empty_state, field, inner, muted, primary_button, secondary_button, section_title,
    set_error, tid,
)

TEXT_FIELDS = ("head_name", "head_name_latin", "phone", "members", "address", "gps_lat", "gps_lon")


class HouseholdFormScreen(Screen):
    tab = "households"
    keeps_draft = True

    def __init__(self, env: Env, household_id: Optional[str]):
        super().__init__(env)
        self.vm = HouseholdFormVM(env.deps.households, env.deps.areas, env.lang, household_id,
                                  drafts=env.deps.drafts)
        self.title_key = "household_form.edit_title" if household_id else "household_form.new_title"
        self.inputs: dict[str, ft.Control] = {}
        self.area: Optional[AreaPicker] = None
        self.form_error = ft.Text("", color=ft.Colors.ERROR, visible=False)
        self.duplicates = ft.Container(visible=False, key=ft.ScrollKey("duplicates"))
        self.gps_note = muted("")
        self.root = ft.Container(padding=16, expand=True)
        self.focus = FormFocus(env.page)
        self._discarded = False

    def relayout(self, env: Env) -> None:
        super().relayout(env)
        self.vm.lang = self.vm.area.lang = env.lang  # village names in the language now shown

    def _field(self, name: str, *, keyboard=ft.KeyboardType.TEXT, multiline=False, helper="",
               col=None) -> ft.Control:
        value = str(getattr(self.vm.fields, name))
        if keyboard == ft.KeyboardType.NUMBER or keyboard == ft.KeyboardType.PHONE:
            value = self.tr.number(value)  # digits as the official reads them; both kinds are accepted back
        control = field(self.tr, f"household.{name}", value,
                        error=self.vm.errors.get("gps" if name.startswith("gps_") else name),
                        on_change=lambda e, n=name: self._on_text(n, e.control.value),
                        on_submit=None if multiline else self.focus.submit_moves_on(name),
                        identifier=f"household-{name.replace('_', '-')}",
                        keyboard=keyboard, multiline=multiline, helper_key=helper, col=col)
        self.inputs[name] = control
        return self.focus.track(name, control)

    def body(self) -> ft.Control:
        tr, vm = self.tr, self.vm
        if vm.is_edit and not vm.exists:
            return empty_state(ft.Icons.SEARCH_OFF, tr("household.not_found"), tr("household.not_found_message"))
        self.root.content = self._form()
        if vm.errors:  # a record the server refused: its field is marked as the form opens
            self._show_errors()
        return self.root

    def _form(self) -> ft.Control:
        tr, vm = self.tr, self.vm
        self.inputs = {}
        self.focus.reset()
        wide = {"xs": 12, "md": 6}
        person = ft.ResponsiveRow([
            self._field("head_name", col=wide),
            self._field("head_name_latin", helper="household.head_name_latin_help", col=wide),
            self._field("phone", keyboard=ft.KeyboardType.PHONE, helper="household.phone_help", col=wide),
            self._field("members", keyboard=ft.KeyboardType.NUMBER, col=wide),
        ], spacing=GAP, run_spacing=GAP)
        self.area = AreaPicker(tr, vm.area, prefix="village", on_change=self._on_area,
                               error=vm.errors.get("village_code"), refresh=self.env.refresh)
        for name, control in self.area.fields():
            self.focus.track(name, control)
        address = self._field("address", multiline=True)
        flags = ft.ResponsiveRow([
            self.focus.track(f"flag_{flag}", tid(f"flag-{flag}", ft.Checkbox(
                label=tr(f"vulnerability.{flag}"), value=flag in vm.fields.vulnerabilities,
                on_change=lambda e, f=flag: vm.toggle_vulnerability(f, bool(e.control.value))),
                col={"xs": 12, "sm": 6, "lg": 4}), focusable=False)
            for flag in VULNERABILITIES
        ], spacing=4, run_spacing=0)
        consent = self.focus.track("consent", tid("household-consent", ft.Checkbox(
            label=tr("household.consent_to_contact"), value=vm.fields.consent_to_contact,
            on_change=lambda e: vm.set("consent_to_contact", bool(e.control.value)))), focusable=False)
        gps = ft.ResponsiveRow([
            self._field("gps_lat", keyboard=ft.KeyboardType.NUMBER, col={"xs": 6, "md": 4}),
            self._field("gps_lon", keyboard=ft.KeyboardType.NUMBER, col={"xs": 6, "md": 4}),
            ft.Container(self.focus.track("gps_button", secondary_button(
                tr("household.gps_button"), self._locate, icon=ft.Icons.MY_LOCATION, identifier="gps-button")),
                col={"xs": 12, "md": 4}),
        ], spacing=GAP, run_spacing=GAP, vertical_alignment=ft.CrossAxisAlignment.CENTER)
        buttons = ft.Row([
            self.focus.track("save", primary_button(tr("action.save"), self._save, icon=ft.Icons.SAVE,
                                                    identifier="save-household")),
            self.focus.track("cancel", secondary_button(tr("action.cancel"), self._cancel, identifier="cancel")),
        ], spacing=GAP, wrap=True)
        notice: list[ft.Control] = []
        if vm.reloaded:  # refused: changed since opened; the fields now hold the stored values
            notice = [changed_notice(tr, vm.unsaved, lambda code: vm.areas.label(code, vm.lang))]
        if vm.draft.offered is not None:
            notice.append(draft_offer(tr, vm.draft.offered.saved_at, self._use_draft, self._drop_draft))
        content = ft.Column([
            *notice,
            section_title(tr("household_form.person")), person,
            section_title(tr("household_form.village")), self.area.control,
            address,
            section_title(tr("household_form.vulnerability")), flags, consent,
            section_title(tr("household_form.location")), gps, self.gps_note,
            self.form_error, self.duplicates, buttons,
        ], spacing=GAP, scroll=ft.ScrollMode.AUTO, expand=True, horizontal_alignment=ft.CrossAxisAlignment.STRETCH)
        return content

    # ---------------------------------------------------------------- events

    def _on_text(self, name: str, value: str) -> None:
        self.vm.set(name, value or "")
        control = self.inputs.get(name)
        if control is not None and inner(control).error:
            set_error(control, self.tr, None)

    def _on_area(self) -> None:
        self.vm.area_changed()
        for name, control in self.area.fields():  # the dropdowns were built again
            self.focus.track(name, control)
        if self.vm.area.village_code:  # a village is chosen: on to the next field
            self.focus.focus("address")

    def _use_draft(self, e=None) -> None:
        self.vm.use_draft()
        self.root.content = self._form()
        self.focus.focus_first()

    def _drop_draft(self, e=None) -> None:
        self.vm.draft.drop()
        self.root.content = self._form()
        self.focus.focus_first()

    def has_unsaved(self) -> bool:
        return not self._discarded and self.vm.has_changes

    def discard(self) -> None:
        self._discarded = True
        self.vm.draft.drop()

    def _open_duplicate(self, household_id: str) -> None:
        # The official said this is that household: what was typed for it is dropped by that choice.
        self.discard()
        self.env.go(f"/households/{household_id}")

    def dispose(self) -> None:
        # Left without a word (browser back, app closed): the draft stays and is offered next time.
        if not self._discarded:
            self.vm.draft.flush()

    def _save(self, e=None) -> None:
        saved = self.vm.submit()
        if saved is None and self.vm.reloaded:
            # Changed since opened: show the stored values, say so, list what was typed.
            self.form_error.value = self.tr.error("changed_since_opened")
            self.form_error.visible = True
            self.root.content = self._form()
            return
        if saved is None and self.vm.duplicates:
            self._show_duplicates()
            return
        if saved is None:
            self._show_errors()
            return
        self._saved(saved)

    def _show_duplicates(self) -> None:
        self.form_error.visible = False
        self.duplicates.content = duplicates_panel(
            self.tr, self.vm.duplicates, village_label=self.vm.village_label,
            on_open=self._open_duplicate, on_different=self._save_different)
        self.duplicates.visible = True
        self.env.page.run_task(self._scroll_to_duplicates)

    async def _scroll_to_duplicates(self) -> None:
        # Enter in the first field saves too: bring the question into view wherever the official is.
        form = self.root.content
        try:
            self.env.page.update()
            await form.scroll_to(scroll_key="duplicates", duration=200)
        except (RuntimeError, TimeoutError):
            pass  # the form was left meanwhile

    def _save_different(self, e=None) -> None:
        self.duplicates.visible = False
        saved = self.vm.save_as_different()
        if saved is None and self.vm.duplicates:
            self._show_duplicates()
        elif saved is None:
            self._show_errors()
        else:
            self._saved(saved)

    def _saved(self, saved) -> None:
        self.env.saved()
        self.env.toast("household_form.saved")
        self.env.go(f"/households/{saved.id}")

    def _show_errors(self) -> None:
        errors = self.vm.errors
        for name, control in self.inputs.items():
            set_error(control, self.tr, errors.get("gps" if name.startswith("gps_") else name))
        if self.area is not None:
            self.area.set_error(errors.get("village_code"))
        shown = {"gps" if n.startswith("gps_") else n for n in self.inputs} | {"village_code"}
        others = [code for name, code in errors.items() if name not in shown]
        self.form_error.value = self.tr("household_form.fix_errors") + (
            " " + " ".join(self.tr.error(c) for c in others) if others else "")
        self.form_error.visible = True

    def _cancel(self, e=None) -> None:
        self.env.go(f"/households/{self.vm.household_id}" if self.vm.is_edit else "/households")

    async def _locate(self, e=None) -> None:
        self.gps_note.value = self.tr("household.gps_waiting")
        self.env.page.update()
        result = await locate(self.env.page)
        if result.ok:
            self.vm.set_gps(result.lat, result.lon, result.accuracy_m)
            inner(self.inputs["gps_lat"]).value = self.vm.fields.gps_lat
            inner(self.inputs["gps_lon"]).value = self.vm.fields.gps_lon
            set_error(self.inputs["gps_lat"], self.tr, None)
            self.gps_note.value = self.tr("household.gps_done", accuracy=round(result.accuracy_m or 0))
        else:
            self.gps_note.value = self.tr(f"household.gps_{result.problem}")
