"""The county office keeps its knowledge pack current: edit, version, restore, and xlsx out and back in.

Edits are rows of `knowledge_edits` over the shipped YAML (bot.live_pack); each is checked as
`nongbot knowledge check` would check the pack it makes, refused with the reason in Chinese (422),
audited with before and after, and seen by every worker within `knowledge_refresh_seconds`.
Only the county administrator edits.
"""

import io
import json
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Body, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from admin.inbox import audit
from admin.policy import Denied, Staff, require_admin
from bot.store.db import transaction
from bot.live_pack import LivePack, attach
from bot.records.models import KnowledgeEdit, StaffUser
from knowledge.overlay import (CHOICE_LABELS, EDITABLE, FIELD_LABELS, LONG_TEXT, Editable, check_messages, choices,
                               entities, entity_problems, from_fields, is_list, overlay, problems, shown_value)
from knowledge.schema import PLACEHOLDER

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_UPLOAD_BYTES = 1024 * 1024   # bot.wechat.edge.MAX_BODY refuses larger bodies first


class Refused(Exception):
    """The edit would break the pack (or is not valid): the reasons, in Chinese."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__("；".join(reasons))
        self.reasons = reasons


@dataclass(frozen=True)
class Edit:
    kind: str
    key: str
    data: dict[str, Any] | None      # None: removed


@dataclass
class Saved:
    versions: dict[tuple[str, str], int] = field(default_factory=dict)
    pack_version: int = 0


def editable(kind: str) -> Editable:
    found = EDITABLE.get(kind)
    if found is None:
        raise Denied(404, "没有这类资料")
    return found


def dumped(entity: Any) -> dict[str, Any] | None:
    return entity.model_dump(mode="json") if entity is not None else None


def placeholders(data: dict[str, Any] | None) -> list[str]:
    """The fields still 待补充 (what the farmer is told is being registered)."""
    return [FIELD_LABELS.get(k, k) for k, v in (data or {}).items() if isinstance(v, str) and PLACEHOLDER in v]


def normalized(edit: Edit) -> Edit:
    """The edit with its data as the schema writes it (defaults filled in), when it is valid."""
    if edit.data is None:
        return edit
    entity, wrong = entity_problems(editable(edit.kind), edit.data)
    return Edit(edit.kind, edit.key, dumped(entity)) if entity is not None and not wrong else edit


class KnowledgeEditor:
    """Edits of one deployment's pack: validation, versions, audit, and the worker's own refresh."""

    def __init__(self, ctx: Any) -> None:
        self.ctx = ctx
        self._checked: dict[int, list[str]] = {}   # pack version -> its check's errors (the baseline of a diff)

    @property
    def live(self) -> LivePack:
        return attach(self.ctx)

    def pack(self) -> Any:
        self.live.refresh()   # an edit is judged against every edit recorded so far, by any worker
        return self.ctx.pack

    def history(self, session: Session, kind: str, key: str) -> list[tuple[KnowledgeEdit, str | None]]:
        rows = session.execute(select(KnowledgeEdit, StaffUser.display_name).outerjoin(
            StaffUser, StaffUser.id == KnowledgeEdit.staff_id).where(
            KnowledgeEdit.pack == self.live.name, KnowledgeEdit.kind == kind, KnowledgeEdit.key == key)
            .order_by(KnowledgeEdit.version.desc()))
        return [(edit, name) for edit, name in rows]

    def state(self, kind: str, key: str, *, must_exist: bool = True) -> tuple[dict[str, Any] | None, list, int]:
        """An entity's current data, its versions (newest first) and its version number (0: as shipped)."""
        data = dumped(entities(self.pack(), kind).get(key))
        with transaction(self.ctx.sessions) as session:
            history = self.history(session, kind, key)
        if must_exist and data is None and not history:
            raise Denied(404, "没有这一条")
        return data, history, history[0][0].version if history else 0

    def edited_counts(self, session: Session, kind: str) -> dict[str, int]:
        return dict(session.execute(select(KnowledgeEdit.key, func.count()).where(
            KnowledgeEdit.pack == self.live.name, KnowledgeEdit.kind == kind).group_by(KnowledgeEdit.key)).all())

    def plan(self, pack: Any, edits: list[Edit]) -> tuple[Any, list[str]]:
        """The pack these edits make and what is wrong with them (empty: they may be saved)."""
        reasons: list[str] = []
        changes: dict[tuple[str, str], dict | None] = {}
        for e in edits:
            spec = editable(e.kind)
            if e.data is not None:
                entity, wrong = entity_problems(spec, e.data)
                if entity is not None and str(getattr(entity, spec.key)) != e.key:
                    wrong.append(f"“{FIELD_LABELS[spec.key]}”不能改（{e.key}）：要换编号请新增一条再删除旧的")
                reasons += [f"{spec.label} {e.key}：{w}" for w in wrong]
                if entity is not None:
                    changes[(e.kind, e.key)] = dumped(entity)
            elif e.key not in entities(pack, e.kind):
                reasons.append(f"{spec.label} {e.key}：本来就没有这一条")
            else:
                changes[(e.kind, e.key)] = None
        if reasons:
            return pack, reasons
        after = overlay(pack, changes)
        version = self.ctx.knowledge.version
        if version not in self._checked:
            self._checked = {version: check_messages(pack)}
        return after, problems(pack, after, self._checked[version])

    def save(self, staff: Staff, edits: list[Edit], *, note: str | None = None,
             expect_versions: dict[tuple[str, str], int] | None = None,
             expect_pack_version: int | None = None) -> Saved:
        """Record the edits (all or none) after checking the pack they make; the worker serves it at once."""
        require_admin(staff)
        with self.ctx.store.lock(f"knowledge-edit:{self.live.name}", ttl=120.0, wait=60.0):
            pack = self.pack()
            if expect_pack_version is not None and expect_pack_version != self.ctx.knowledge.version:
                raise Refused(["预览之后资料又有人改过，请重新上传表格再核对一遍"])
            current = {(e.kind, e.key): dumped(entities(pack, e.kind).get(e.key)) for e in edits}
            real = [e for e in map(normalized, edits) if e.data != current[(e.kind, e.key)]]
            saved = Saved(pack_version=self.ctx.knowledge.version)
            if not real:
                return saved      # the same form sent twice: nothing new, no second version
            after, reasons = self.plan(pack, real)
            if reasons:
                raise Refused(reasons)
            with self._transaction() as session:
                for e in real:
                    latest = session.scalar(select(func.max(KnowledgeEdit.version)).where(
                        KnowledgeEdit.pack == self.live.name, KnowledgeEdit.kind == e.kind,
                        KnowledgeEdit.key == e.key)) or 0
                    if expect_versions is not None and expect_versions.get((e.kind, e.key), latest) != latest:
                        raise Denied(409, f"{editable(e.kind).label} {e.key} 已被他人修改，请刷新后再改")
                    data = e.data
                    row = KnowledgeEdit(pack=self.live.name, kind=e.kind, key=e.key, version=latest + 1, data=data,
                                        staff_id=staff.id, note=(note or "")[:200] or None)
                    session.add(row)
                    session.flush()
                    before = current[(e.kind, e.key)]
                    audit(session, staff, "knowledge_edit", e.kind, row.id, pack=self.live.name, key=e.key,
                          version=row.version, before=before, after=data, note=note,
                          changed=sorted(k for k in set(before or {}) | set(data or {})
                                         if (before or {}).get(k) != (data or {}).get(k)))
                    saved.versions[(e.kind, e.key)] = row.version
                if any(e.kind == "centers" for e in real):
                    from bot.centers import sync_centers

                    sync_centers(session, after)   # names, phones and hours shown with requests and tickets
        self.live.refresh()
        saved.pack_version = self.ctx.knowledge.version
        return saved

    def _transaction(self) -> Any:
        @contextmanager
        def run() -> Any:
            try:
                with transaction(self.ctx.sessions) as session:
                    yield session
            except IntegrityError as exc:   # another worker saved a version of the same entity just now
                raise Denied(409, "同时有人在改这一条，请刷新后再改") from exc
        return run()

    def restore(self, staff: Staff, kind: str, key: str, version: int) -> Saved:
        require_admin(staff)
        with self._transaction() as session:
            old = session.scalar(select(KnowledgeEdit).where(
                KnowledgeEdit.pack == self.live.name, KnowledgeEdit.kind == kind, KnowledgeEdit.key == key,
                KnowledgeEdit.version == version))
            if old is None and version != 0:
                raise Denied(404, "没有这个版本")
            data = old.data if old is not None else dumped(entities(self.live.base, kind).get(key))
        return self.save(staff, [Edit(kind, key, data)], note=f"恢复到第 {version} 版")


# ---- spreadsheet: the pack's editable tables out as a template, and back with a dry-run diff ---------------
def columns(spec: Editable) -> list[str]:
    return [c for f in spec.fields for c in (("source.doc", "source.section") if f == "source" else (f,))]


def cell(data: dict[str, Any], column: str) -> Any:
    if column.startswith("source."):
        return (data.get("source") or {}).get(column.split(".")[1], "")
    value = data.get(column)
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else shown_value(value, column)


def export_xlsx(pack: Any) -> bytes:
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill

    book = Workbook()
    book.remove(book.active)
    for spec in EDITABLE.values():
        sheet = book.create_sheet(spec.kind)
        cols = columns(spec)
        sheet.append(cols)
        for i, column in enumerate(cols, start=1):
            head = sheet.cell(row=1, column=i)
            head.font = Font(bold=True)
            head.fill = PatternFill("solid", fgColor="DFF3E4")
            head.comment = Comment(FIELD_LABELS.get(column, column), "农合联助手")
            sheet.column_dimensions[head.column_letter].width = 40 if column in LONG_TEXT else 16
        for entity in getattr(pack, spec.attr):
            data = entity.model_dump(mode="json")
            sheet.append([cell(data, c) for c in cols])
        for row in sheet.iter_rows(min_row=2):
            for c in row:
                c.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.freeze_panes = "B2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@dataclass
class RowChange:
    kind: str
    key: str
    action: str                      # added | changed | removed
    fields: list[tuple[str, Any, Any]] = field(default_factory=list)   # (label, old, new)
    data: dict[str, Any] | None = None


@dataclass
class ImportPlan:
    version: int
    changes: list[RowChange] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def edits(self) -> list[Edit]:
        return [Edit(c.kind, c.key, c.data) for c in self.changes]

    def token(self) -> str:
        return json.dumps({"version": self.version, "edits": [[e.kind, e.key, e.data] for e in self.edits]},
                          ensure_ascii=False)


def read_sheets(body: bytes) -> dict[str, list[tuple[int, dict[str, Any]]]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(body), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - not an xlsx at all (zip, xml errors …): told, not a 500
        raise Refused(["读不了这个文件：请上传从这里下载的 .xlsx 模板"]) from exc
    out: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    for sheet in book.worksheets:
        kind = next((e.kind for e in EDITABLE.values() if sheet.title.strip() in (e.kind, e.label)), None)
        if kind is None:
            continue
        rows = list(sheet.iter_rows(values_only=True))
        if not rows:
            continue
        header = [str(h).strip() if h is not None else "" for h in rows[0]]
        out[kind] = [(n, dict(zip(header, r))) for n, r in enumerate(rows[1:], start=2)
                     if any(v not in (None, "") for v in r)]
    if not out:
        raise Refused(["表格里没有认得的工作表：工作表名应为 " + "、".join(EDITABLE)])
    return out


def plan_import(editor: KnowledgeEditor, body: bytes) -> ImportPlan:
    """What uploading this workbook would change, and what is wrong with it (row by row, then the pack)."""
    pack = editor.pack()
    plan = ImportPlan(version=editor.ctx.knowledge.version)
    for kind, rows in read_sheets(body).items():
        spec = EDITABLE[kind]
        now = {k: dumped(v) for k, v in entities(pack, kind).items()}
        seen: dict[str, int] = {}
        for n, row in rows:
            where = f"{kind} 第 {n} 行"
            key = str(row.get(spec.key) if row.get(spec.key) is not None else "").strip()
            if not key:
                plan.errors.append(f"{where}：没有“{FIELD_LABELS[spec.key]}”（{spec.key}）")
                continue
            if key in seen:
                plan.errors.append(f"{where}：{spec.key} {key} 与第 {seen[key]} 行重复")
                continue
            seen[key] = n
            sent = {c: row[c] for c in columns(spec) if c in row}
            data = from_fields(spec, now.get(key), sent)
            entity, wrong = entity_problems(spec, data)
            if wrong:
                plan.errors += [f"{where}（{key}）：{w}" for w in wrong]
                continue
            new = dumped(entity)
            old = now.get(key)
            if old is None:
                plan.changes.append(RowChange(kind, key, "added", data=new))
            elif new != old:
                diff = [(FIELD_LABELS.get(f, f), old.get(f), new.get(f)) for f in spec.fields if old.get(f) != new.get(f)]
                plan.changes.append(RowChange(kind, key, "changed", diff, data=new))
        plan.changes += [RowChange(kind, key, "removed") for key in now if key not in seen]
    if not plan.errors and plan.changes:
        _, reasons = editor.plan(pack, plan.edits)
        plan.errors += reasons
    return plan


def plan_from_token(token: str) -> tuple[int, list[Edit]]:
    try:
        raw = json.loads(token)
        return int(raw["version"]), [Edit(str(k), str(key), d if isinstance(d, dict) else None)
                                     for k, key, d in raw["edits"]]
    except (ValueError, KeyError, TypeError) as exc:
        raise Denied(400, "导入内容无效，请重新上传表格") from exc


# ---- routes ---------------------------------------------------------------------------------------
def routes(console: Any) -> APIRouter:
    """/admin/knowledge pages and /admin/api/knowledge JSON, for the county administrator."""
    ctx = console.ctx
    editor = KnowledgeEditor(ctx)
    router = APIRouter()
    Reader = Annotated[Staff, Depends(console.current_staff)]
    Changer = Annotated[Staff, Depends(console.changing_staff)]

    def admin(staff: Staff) -> Staff:
        require_admin(staff)
        return staff

    def refused(reasons: list[str]) -> JSONResponse:
        return JSONResponse({"detail": "；".join(reasons), "problems": reasons}, status_code=422)

    def item_json(spec: Editable, key: str, entity: Any, version: int) -> dict[str, Any]:
        data = dumped(entity)
        return {"kind": spec.kind, "key": key, "version": version, "data": data,
                "placeholders": placeholders(data)}

    # ---- JSON API -------------------------------------------------------------------------------
    @router.get("/admin/api/knowledge/{kind}")
    def api_list(kind: str, staff: Reader) -> dict[str, Any]:
        spec, _ = editable(kind), admin(staff)
        pack = editor.pack()
        with console.tx() as session:
            counts = editor.edited_counts(session, kind)
        return {"pack_version": ctx.knowledge.version,
                "items": [item_json(spec, key, e, counts.get(key, 0)) for key, e in entities(pack, kind).items()]}

    @router.get("/admin/api/knowledge/{kind}/{key}")
    def api_item(kind: str, key: str, staff: Reader) -> dict[str, Any]:
        spec, _ = editable(kind), admin(staff)
        data, history, version = editor.state(kind, key)
        return {"kind": kind, "key": key, "version": version, "data": data, "placeholders": placeholders(data),
                "history": [{"version": e.version, "data": e.data, "staff": name, "at": e.created_at.isoformat(),
                             "note": e.note} for e, name in history]}

    def api_save(kind: str, key: str, staff: Staff, data: dict[str, Any] | None, merge: bool,
                 note: str | None = None) -> Response:
        spec, _ = editable(kind), admin(staff)
        if merge:
            current = dumped(entities(editor.pack(), kind).get(key))
            if current is None:
                raise Denied(404, "没有这一条（新增请用 PUT 提交整条）")
            data = {**current, **(data or {})}
        try:
            saved = editor.save(staff, [Edit(spec.kind, key, data)], note=note)
        except Refused as exc:
            return refused(exc.reasons)
        return JSONResponse({"ok": True, "kind": kind, "key": key, "version": saved.versions.get((kind, key)),
                             "pack_version": saved.pack_version})

    @router.put("/admin/api/knowledge/{kind}/{key}")
    def api_put(kind: str, key: str, staff: Changer, body: Annotated[dict[str, Any], Body()]) -> Response:
        return api_save(kind, key, staff, body, merge=False)

    @router.patch("/admin/api/knowledge/{kind}/{key}")
    def api_patch(kind: str, key: str, staff: Changer, body: Annotated[dict[str, Any], Body()]) -> Response:
        return api_save(kind, key, staff, body, merge=True)

    @router.delete("/admin/api/knowledge/{kind}/{key}")
    def api_delete(kind: str, key: str, staff: Changer) -> Response:
        return api_save(kind, key, staff, None, merge=False)

    @router.post("/admin/api/knowledge/{kind}/{key}/restore")
    def api_restore(kind: str, key: str, staff: Changer, body: Annotated[dict[str, Any], Body()]) -> Response:
        editable(kind), admin(staff)
        version = body.get("version")
        if not isinstance(version, int) or isinstance(version, bool) or version < 0:
            return refused(["请给出要恢复的版本号（整数）"])
        try:
            saved = editor.restore(staff, kind, key, version)
        except Refused as exc:
            return refused(exc.reasons)
        return JSONResponse({"ok": True, "version": saved.versions.get((kind, key)), "pack_version": saved.pack_version})

    # ---- pages ----------------------------------------------------------------------------------
    def back(url: str) -> RedirectResponse:
        return RedirectResponse(url, status_code=303)

    def edit_url(kind: str, key: str, **query: str) -> str:
        tail = "&".join(f"{k}={quote(v)}" for k, v in query.items() if v)
        return f"/admin/knowledge/{kind}/{quote(key, safe='')}" + (f"?{tail}" if tail else "")

    @router.get("/admin/knowledge", response_class=HTMLResponse)
    def index_page(request: Request, staff: Reader, kind: str = "centers", imported: str = "") -> HTMLResponse:
        spec, _ = editable(kind), admin(staff)
        pack = editor.pack()
        with console.tx() as session:
            counts = editor.edited_counts(session, kind)
        rows = [(key, dumped(e), counts.get(key, 0)) for key, e in entities(pack, kind).items()]
        return console.render(request, "knowledge/index.html", staff=staff, spec=spec, kinds=EDITABLE, rows=rows,
                              placeholders=placeholders, edit_url=edit_url, imported=imported,
                              county=pack.info.county, version=ctx.knowledge.version)

    def form_page(request: Request, staff: Staff, spec: Editable, key: str | None, data: dict[str, Any] | None,
                  version: int, history: list, reasons: list[str] | None = None, saved: str = "",
                  status_code: int = 200) -> HTMLResponse:
        values = {c: cell(data or {}, c) for c in columns(spec)}
        return console.render(request, "knowledge/edit.html", status_code=status_code, staff=staff, spec=spec,
                              key=key, values=values, columns=columns(spec), labels=FIELD_LABELS, long=LONG_TEXT,
                              lists={f for f in spec.fields if is_list(spec.model, f)}, version=version,
                              choices={f: choices(spec.model, f) for f in spec.fields}, choice_labels=CHOICE_LABELS,
                              history=history, reasons=reasons or [], saved=saved, edit_url=edit_url,
                              placeholders=placeholders(data), removed=data is None and key is not None)

    def refused_page(request: Request, staff: Staff, spec: Editable, key: str, reasons: list[str]) -> HTMLResponse:
        data, history, version = editor.state(spec.kind, key, must_exist=False)
        return form_page(request, staff, spec, key, data, version, history, reasons, status_code=422)

    @router.get("/admin/knowledge/{kind}/new", response_class=HTMLResponse)
    def new_page(request: Request, kind: str, staff: Reader) -> HTMLResponse:
        spec, _ = editable(kind), admin(staff)
        return form_page(request, staff, spec, None, {}, 0, [])

    @router.get("/admin/knowledge/{kind}/{key}", response_class=HTMLResponse)
    def edit_page(request: Request, kind: str, key: str, staff: Reader, saved: str = "") -> HTMLResponse:
        spec, _ = editable(kind), admin(staff)
        data, history, version = editor.state(kind, key)
        return form_page(request, staff, spec, key, data, version, history, saved=saved)

    @router.post("/admin/knowledge/{kind}/{key}")
    async def save_page(request: Request, kind: str, key: str, staff: Changer) -> Response:
        spec, _ = editable(kind), admin(staff)
        sent = await request.form()
        # Checkbox lists (roles) come as one value per box; everything else as one field.
        boxes = {f for f in spec.fields if is_list(spec.model, f) and choices(spec.model, f)}
        form = {k: "、".join(v for v in sent.getlist(k) if isinstance(v, str)) if k in boxes else sent.get(k)
                for k in sent.keys()}
        form = {k: v for k, v in form.items() if isinstance(v, str)}
        return await run_in_threadpool(save_form, request, staff, spec, key, form)

    def save_form(request: Request, staff: Staff, spec: Editable, key: str, form: dict[str, str]) -> Response:
        new = key == "new"
        key = str(form.get(spec.key, "")).strip() if new else key
        base_version = int(form["base_version"]) if form.get("base_version", "").isdigit() else None
        current = dumped(entities(editor.pack(), spec.kind).get(key)) if key else None
        if not key:
            reasons = [f"“{FIELD_LABELS[spec.key]}”必填"]
        elif new and current is not None:
            reasons = [f"{FIELD_LABELS[spec.key]} {key} 已经有了，请换一个，或回列表修改那一条"]
        else:
            expect = {(spec.kind, key): base_version} if base_version is not None and not new else None
            try:
                editor.save(staff, [Edit(spec.kind, key, from_fields(spec, current, form))], expect_versions=expect,
                            note=form.get("edit_note") or None)
                return back(edit_url(spec.kind, key, saved="1"))
            except Refused as exc:
                reasons = exc.reasons
        with console.tx() as session:
            history = editor.history(session, spec.kind, key) if key and not new else []
        return form_page(request, staff, spec, None if new else key, from_fields(spec, None if new else current, form),
                         base_version or 0, history, reasons, status_code=422)

    @router.post("/admin/knowledge/{kind}/{key}/restore")
    def restore_page(request: Request, kind: str, key: str, staff: Changer,
                     version: Annotated[int, Form(ge=0)]) -> Response:
        spec, _ = editable(kind), admin(staff)
        try:
            editor.restore(staff, kind, key, version)
        except Refused as exc:
            return refused_page(request, staff, spec, key, exc.reasons)
        return back(edit_url(kind, key, saved="restored"))

    @router.post("/admin/knowledge/{kind}/{key}/delete")
    def delete_page(request: Request, kind: str, key: str, staff: Changer) -> Response:
        spec, _ = editable(kind), admin(staff)
        try:
            editor.save(staff, [Edit(kind, key, None)], note="删除")
        except Refused as exc:
            return refused_page(request, staff, spec, key, exc.reasons)
        return back(f"/admin/knowledge?kind={kind}")

    @router.get("/admin/knowledge-export.xlsx")
    def export_page(staff: Reader) -> Response:
        admin(staff)
        body = export_xlsx(editor.pack())
        with console.tx() as session:
            audit(session, staff, "knowledge_export", "knowledge", None, pack=editor.live.name,
                  version=ctx.knowledge.version)
        name = f"knowledge-{editor.live.name}-v{ctx.knowledge.version}.xlsx"
        return Response(body, media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}"'})

    @router.post("/admin/knowledge-import", response_class=HTMLResponse)
    async def import_page(request: Request, staff: Changer, file: Annotated[UploadFile, File()]) -> Response:
        admin(staff)
        body = await file.read(MAX_UPLOAD_BYTES + 1)
        if len(body) > MAX_UPLOAD_BYTES:
            plan, reasons = None, ["文件太大（超过 1 MB）"]
        else:
            try:
                plan, reasons = await run_in_threadpool(plan_import, editor, body), []
            except Refused as exc:
                plan, reasons = None, exc.reasons
        return console.render(request, "knowledge/import.html", status_code=200 if plan else 422, staff=staff,
                              plan=plan, reasons=reasons, kinds=EDITABLE, shown=shown_value)

    @router.post("/admin/knowledge-import/apply")
    def import_apply(request: Request, staff: Changer, plan: Annotated[str, Form(max_length=5_000_000)]) -> Response:
        admin(staff)
        version, edits = plan_from_token(plan)
        try:
            saved = editor.save(staff, edits, note="表格导入", expect_pack_version=version)
        except Refused as exc:
            return console.render(request, "knowledge/import.html", status_code=422, staff=staff, plan=None,
                                  reasons=exc.reasons, kinds=EDITABLE, shown=shown_value)
        return back(f"/admin/knowledge?imported={len(saved.versions)}")

    return router
