// guiji web console: small vanilla JS over the JSON API. Every value is written with textContent (never as markup);
// the token lives in sessionStorage and travels only in the Authorization header.
"use strict";

const ROOT = location.pathname.slice(0, location.pathname.lastIndexOf("/console/"));
const TOKEN_KEY = "guiji.token";
const ME_KEY = "guiji.me";

const ROLE_ZH = { department: "数据提供部门", regulator: "市场监管部门", supervisor: "督查", auditor: "审计" };
const KIND_ZH = {
  collection_late: "归集超期",
  collection_overdue: "逾期未归集",
  publication_overdue: "逾期未公示",
  publication_late: "公示超期",
  at_risk: "临近时限",
};
const STATUS_ZH = { open: "未结", closed: "已结" };
const CATEGORIES = [
  ["registration", "注册登记备案"],
  ["chattel_mortgage", "动产抵押登记"],
  ["equity_pledge", "股权出质登记"],
  ["ip_pledge", "知识产权出质登记"],
  ["trademark", "商标注册"],
  ["license", "行政许可"],
  ["penalty", "行政处罚"],
  ["abnormal_operation", "经营异常名录"],
  ["serious_violation", "严重违法失信名单"],
  ["spot_check", "抽查检查结果"],
  ["other", "其他依法应当公示的信息"],
];
const FOLDERS = CATEGORIES.concat([
  ["ledger", "生产台账"],
  ["feedback", "联合惩戒反馈"],
  ["published", "公示确认（市场监管部门）"],
]);
const CATEGORY_ZH = Object.fromEntries(FOLDERS);
const NAV = {
  department: [["department", "部门工作台"], ["record", "记录时间线"], ["bulletins", "通报"]],
  regulator: [["held", "待处理记录"], ["breaches", "违规记录"], ["digests", "督办日报"], ["record", "记录时间线"], ["bulletins", "通报"]],
  supervisor: [["breaches", "违规督查"], ["digests", "督办日报"], ["record", "记录时间线"], ["bulletins", "通报"]],
  auditor: [["breaches", "违规报告"], ["digests", "督办日报"], ["record", "记录时间线"], ["audit", "审计核验"], ["bulletins", "通报"]],
};
const HOME = { department: "department", regulator: "held", supervisor: "breaches", auditor: "breaches" };

// ---------------------------------------------------------------- helpers

function $(id) {
  return document.getElementById(id);
}

// el("td", {className: "x"}, "text", child): builds DOM; strings become text nodes (never parsed as HTML).
function el(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (k === "dataset") Object.assign(node.dataset, v);
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node[k] = v;
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

function clear(node) {
  node.replaceChildren();
  return node;
}

function flash(text, kind) {
  const box = $("flash");
  clear(box).append(el("p", { className: kind || "info" }, text));
}

function pct(rate) {
  return rate === null || rate === undefined ? "—" : (rate * 100).toFixed(1) + "%";
}

// Instants are stored in UTC; people read them in the business zone (Asia/Shanghai).
function when(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  if (isNaN(d)) return iso;
  return d.toLocaleString("zh-CN", { timeZone: "Asia/Shanghai", hour12: false });
}

function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function api(path, options) {
  const opts = Object.assign({ method: "GET" }, options || {});
  const headers = { Accept: opts.accept || "application/json" };
  if (token() && !opts.anonymous) headers.Authorization = "Bearer " + token();
  if (opts.json !== undefined) {
    headers["Content-Type"] = "application/json";
    opts.body = JSON.stringify(opts.json);
  }
  const resp = await fetch(ROOT + path, { method: opts.method, headers, body: opts.body });
  if (opts.raw) {
    if (!resp.ok) throw new ApiError(resp.status, await errorText(resp));
    return resp;
  }
  if (!resp.ok) {
    if (resp.status === 401 && !opts.anonymous && !opts.stay) signOut("登录已失效，请重新登录：" + (await errorText(resp)));
    throw new ApiError(resp.status, await errorText(resp));
  }
  return resp.json();
}

async function errorText(resp) {
  try {
    const body = await resp.json();
    return body.Message || body.message || resp.statusText;
  } catch (e) {
    return resp.status + " " + resp.statusText;
  }
}

function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== "" && v !== null && v !== undefined) q.set(k, v);
  const s = q.toString();
  return s ? "?" + s : "";
}

async function download(path, fileName, accept) {
  const resp = await api(path, { raw: true, accept });
  const blob = await resp.blob(); // bytes as sent: the UTF-8 BOM stays, so Excel opens the CSV correctly
  const url = URL.createObjectURL(blob);
  const a = el("a", { href: url, download: fileName });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

// A table from rows and [header, value-function] columns; value functions may return a Node or text.
function table(rows, columns, empty) {
  if (!rows.length) return el("p", { className: "muted" }, empty || "暂无数据");
  const head = el("tr", {}, columns.map(([h]) => el("th", {}, h)));
  const body = rows.map((r) => el("tr", {}, columns.map(([, f]) => el("td", {}, f(r)))));
  return el("table", {}, el("thead", {}, head), el("tbody", {}, body));
}

function keyValues(pairs) {
  return el("dl", { className: "kv" }, pairs.map(([k, v]) => [el("dt", {}, k), el("dd", {}, v ?? "—")]));
}

function recordLink(id) {
  return el("a", { href: "record?id=" + encodeURIComponent(id), className: "mono" }, id);
}

function signOut(message) {
  sessionStorage.removeItem(TOKEN_KEY);
  sessionStorage.removeItem(ME_KEY);
  if (message) sessionStorage.setItem("guiji.flash", message);
  location.href = "login";
}

function me() {
  const text = sessionStorage.getItem(ME_KEY);
  return text ? JSON.parse(text) : null;
}

function fillSelect(select, options, anyLabel) {
  if (anyLabel) select.append(el("option", { value: "" }, anyLabel));
  for (const [value, label] of options) select.append(el("option", { value }, label));
}

function setupChrome(who) {
  const nav = clear($("nav"));
  if (who) {
    for (const [page, label] of NAV[who.role] || []) {
      const a = el("a", { href: page }, label);
      if (document.body.dataset.page === page) a.setAttribute("aria-current", "page");
      nav.append(a);
    }
    const place = who.department_name || who.department || who.region_name || who.region;
    $("who").textContent = (ROLE_ZH[who.role] || who.role) + " · " + place + "（" + who.region + "）";
    $("signout").hidden = false;
    $("signout").addEventListener("click", () => signOut());
  } else {
    nav.append(el("a", { href: "public" }, "企业信息公示查询"), el("a", { href: "login" }, "登录"));
  }
}

// ---------------------------------------------------------------- pages

const PAGES = {};

PAGES.login = async function () {
  const note = sessionStorage.getItem("guiji.flash");
  if (note) {
    flash(note, "error");
    sessionStorage.removeItem("guiji.flash");
  }
  $("login-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const value = $("token").value.trim().replace(/^Bearer\s+/i, "");
    sessionStorage.setItem(TOKEN_KEY, value);
    try {
      const who = await api("/me", { stay: true });
      sessionStorage.setItem(ME_KEY, JSON.stringify(who));
      location.href = HOME[who.role] || "record";
    } catch (e) {
      sessionStorage.removeItem(TOKEN_KEY);
      flash("登录失败：" + e.message, "error");
    }
  });
};

PAGES.public = async function () {
  const form = $("search-form");
  const params = new URLSearchParams(location.search);
  async function search(q) {
    const box = clear($("results"));
    $("subject").hidden = true;
    try {
      const found = await api("/public/subjects" + query({ q }), { anonymous: true });
      if (found.hint) box.append(el("p", { className: "muted" }, found.hint));
      box.append(
        table(
          found.items,
          [
            ["名称", (s) => el("a", { href: "#", onclick: (e) => (e.preventDefault(), show(s.uscc)) }, s.name)],
            ["统一社会信用代码", (s) => s.uscc],
            ["地区", (s) => s.region_name || s.region_code],
          ],
          "未找到匹配的市场主体",
        ),
      );
    } catch (e) {
      flash(e.message, "error");
    }
  }
  async function show(code) {
    const box = clear($("subject"));
    box.hidden = false;
    const s = await api("/public/subjects/" + encodeURIComponent(code), { anonymous: true });
    box.append(
      el("h2", {}, s.name),
      keyValues([["统一社会信用代码", s.uscc], ["注册号", s.reg_no], ["地区", s.region_name || s.region_code]]),
    );
    const groups = (s.groups || []).filter((g) => g.count);
    if (!groups.length) box.append(el("p", { className: "muted" }, "尚无公示信息"));
    for (const g of groups) {
      box.append(el("h3", {}, g.title + "（" + g.count + "）"));
      for (const section of g.sections.filter((x) => x.records.length)) {
        box.append(
          el("h4", {}, section.title),
          table(section.records, [
            ["文号", (r) => r.doc_no],
            ["信息产生日期", (r) => r.production_date],
            ["数据提供部门", (r) => r.department_name],
            ["公示日期", (r) => r.published_on],
            ["内容", (r) => Object.entries(r.fields || {}).map(([k, v]) => k + "：" + v).join("；")],
          ]),
        );
      }
    }
  }
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    search($("q").value.trim());
  });
  if (params.get("q")) {
    $("q").value = params.get("q");
    search(params.get("q"));
  }
};

PAGES.department = async function (who) {
  fillSelect($("category"), FOLDERS.filter(([slug]) => slug !== "published"));
  const drop = $("drop");
  let chosen = null;
  function choose(file) {
    chosen = file;
    $("file-name").textContent = file ? file.name + "（" + file.size.toLocaleString() + " 字节）" : "";
  }
  $("file").addEventListener("change", () => choose($("file").files[0] || null));
  drop.addEventListener("dragover", (ev) => {
    ev.preventDefault();
    drop.classList.add("over");
  });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (ev) => {
    ev.preventDefault();
    drop.classList.remove("over");
    choose(ev.dataTransfer.files[0] || null);
  });
  $("upload-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if (!chosen) return flash("请先选择要上传的文件", "error");
    const category = $("category").value;
    $("upload-button").disabled = true;
    try {
      await upload(chosen, category);
    } catch (e) {
      flash("上传失败：" + e.message, "error");
    } finally {
      $("upload-button").disabled = false;
    }
  });

  async function upload(file, category) {
    clear($("receipt")).hidden = true;
    const target = await api("/uploads", { method: "POST", json: { category, file_name: file.name, size: file.size } });
    const form = new FormData();
    for (const [k, v] of Object.entries(target.fields)) form.append(k, v);
    form.append("file", file); // the file must be the last field of an S3 POST
    progress("正在上传…");
    const resp = await fetch(target.url, { method: "POST", body: form });
    if (!resp.ok) throw new Error("存储服务拒绝了上传（" + resp.status + "）");
    flash("文件已上传：" + file.name + "，正在等待回执…");
    await watch(category, file.name);
    loadHistory();
  }

  function progress(text) {
    $("progress").hidden = !text;
    $("progress-text").textContent = text || "";
  }

  async function watch(category, fileName) {
    for (let i = 0; i < 1800; i++) {
      const now = await api("/uploads/receipt" + query({ category, file_name: fileName }));
      if (now.state === "done") {
        progress("");
        showReceipt(now.receipt);
        return;
      }
      progress(now.rows_handled ? "处理中…已处理 " + now.rows_handled.toLocaleString() + " 行" : "处理中…");
      await new Promise((r) => setTimeout(r, 1000));
    }
    progress("");
    flash("等待回执超时，请稍后在上传记录中查看", "error");
  }

  function showReceipt(r) {
    const box = clear($("receipt"));
    box.hidden = false;
    const c = r.counts || {};
    box.append(
      el("h3", {}, "回执：" + (r.file_name || "")),
      el("p", { className: r.status === "completed" ? "ok" : "error", id: "receipt-message" }, r.message || ""),
      table(
        [c],
        [
          ["读取", (x) => x.read],
          ["接收", (x) => x.accepted],
          ["退回", (x) => x.rejected],
          ["重复", (x) => x.duplicates],
          ["更正", (x) => x.corrected],
          ["超期归集", (x) => x.late],
          ["待记名（暂存）", (x) => x.unattributed],
        ],
      ),
      (r.notes || []).length ? el("ul", {}, r.notes.map((n) => el("li", {}, n))) : null,
      (r.errors || []).length ? el("ul", { className: "error" }, r.errors.map((n) => el("li", {}, n))) : null,
    );
    if (r.rejects_key) {
      box.append(
        el(
          "button",
          {
            type: "button",
            id: "download-rejects",
            onclick: () =>
              download("/uploads/rejects" + query({ category: r.category, file_name: r.file_name }), r.file_name + ".rejects.csv"),
          },
          "下载退回明细（CSV）",
        ),
      );
    }
  }

  async function loadHistory() {
    const data = await api("/uploads");
    clear($("history")).append(
      table(
        data.items,
        [
          ["文件", (u) => u.file_name],
          ["类别", (u) => u.category_name],
          ["上传时间", (u) => when(u.collected_at)],
          ["结果", (u) => (u.status === "completed" ? "已处理" : "未处理：" + (u.message || ""))],
          ["读取", (u) => u.counts.read],
          ["接收", (u) => u.counts.accepted],
          ["退回", (u) => u.counts.rejected],
          ["超期", (u) => u.counts.late],
          ["待记名", (u) => u.counts.unattributed],
        ],
        "尚无上传记录",
      ),
    );
  }

  async function loadBreaches() {
    const data = await api("/breaches" + query({ status: "open", limit: 200 }));
    clear($("open-breaches")).append(breachTable(data.items, false));
  }

  async function loadScorecard() {
    const months = [];
    const d = new Date();
    for (let i = 0; i < 6; i++) {
      const m = new Date(d.getFullYear(), d.getMonth() - i, 1);
      months.push(m.getFullYear() + "-" + String(m.getMonth() + 1).padStart(2, "0"));
    }
    const cards = await Promise.all(
      months.map((p) => api("/departments/" + encodeURIComponent(who.department) + "/scorecard" + query({ period: p }))),
    );
    clear($("scorecard")).append(
      table(cards, [
        ["月份", (s) => s.period],
        ["已归集", (s) => s.collected],
        ["及时率", (s) => pct(s.on_time_rate)],
        ["公示及时率", (s) => pct(s.publication_on_time_rate)],
        ["合规率", (s) => pct(s.compliance_rate)],
        ["记名率", (s) => pct(s.attribution_rate)],
        ["未归集（台账）", (s) => s.never_collected],
      ]),
    );
    const pending = cards.flatMap((c) => c.pending || []).sort((a, b) => String(a.due).localeCompare(String(b.due)));
    clear($("pending")).append(
      table(
        pending,
        [
          ["记录", (r) => recordLink(r.record_id)],
          ["类别", (r) => CATEGORY_ZH[r.category] || r.category],
          ["文号", (r) => r.doc_no],
          ["市场主体", (r) => r.subject_name],
          ["信息产生日期", (r) => r.production_date],
          ["待办", (r) => (r.waiting_for === "collection" ? "待归集" : r.held ? "待公示（暂存，待市场监管部门处理）" : "待公示")],
          ["期限", (r) => r.due],
        ],
        "没有待完成的记录",
      ),
    );
  }

  await Promise.all([loadHistory(), loadBreaches(), loadScorecard()].map((p) => p.catch((e) => flash(e.message, "error"))));
};

function breachTable(items, withAck) {
  const columns = [
    ["类型", (b) => KIND_ZH[b.kind] || b.kind],
    ["状态", (b) => STATUS_ZH[b.status] || b.status],
    ["部门", (b) => b.department],
    ["区划", (b) => b.region_code],
    ["类别", (b) => CATEGORY_ZH[b.category] || b.category],
    ["文号", (b) => b.doc_no],
    ["市场主体", (b) => b.subject_name],
    ["应完成日", (b) => b.due],
    ["实际", (b) => b.actual],
    ["超期工作日", (b) => b.working_days_late],
    ["立案日", (b) => b.opened_on],
    ["记录", (b) => recordLink(b.record_id)],
  ];
  if (withAck) columns.push(["确认", ackCell]);
  return table(items, columns, "没有符合条件的违规记录");
}

function ackCell(b) {
  if (b.status !== "open") return (b.acknowledged || []).length ? "已确认" : "";
  const done = (b.acknowledged || []).length ? el("span", { className: "muted" }, "已确认 ") : null;
  const note = el("input", { placeholder: "确认说明", className: "ack-note", size: 12 });
  const button = el("button", { type: "button", className: "ack" }, "确认");
  button.addEventListener("click", async () => {
    if (!note.value.trim()) return flash("确认时请填写说明", "error");
    try {
      await api("/breaches/" + encodeURIComponent(b.breach_id) + "/ack", { method: "POST", json: { note: note.value.trim() } });
      flash("已确认：" + b.breach_id, "ok");
      button.replaceWith(el("span", { className: "ok" }, "已确认"));
      note.remove();
    } catch (e) {
      flash("确认失败：" + e.message, "error");
    }
  });
  return el("span", {}, done, note, button);
}

PAGES.breaches = async function (who) {
  const form = $("filter-form");
  fillSelect(form.elements.category, CATEGORIES, "全部");
  fillSelect(form.elements.kind, Object.entries(KIND_ZH), "全部");
  const params = new URLSearchParams(location.search);
  for (const [k, v] of params) if (form.elements[k]) form.elements[k].value = v;
  let cursor = null;
  let rows = [];
  function filters() {
    const out = {};
    for (const name of ["region", "department", "category", "kind", "status", "from", "to"]) out[name] = form.elements[name].value.trim();
    return out;
  }
  async function load(next) {
    const f = filters();
    try {
      const data = await api("/breaches" + query(Object.assign({}, f, { limit: 100, cursor: next || "" })));
      rows = next ? rows.concat(data.items) : data.items;
      cursor = data.next_cursor;
      $("total").textContent = "共 " + data.total + " 条";
      clear($("list")).append(breachTable(rows, who.role === "supervisor"));
      $("more").hidden = !cursor;
      if (!next) counts(data.by_kind || {});
    } catch (e) {
      flash("查询失败：" + e.message, "error");
    }
  }
  function counts(byKind) {
    const kinds = Object.keys(KIND_ZH);
    const max = Math.max(1, ...kinds.map((k) => byKind[k] || 0));
    clear($("counts")).append(
      table(
        kinds.map((k) => ({ kind: k, total: byKind[k] || 0 })),
        [
          ["违规类型", (r) => KIND_ZH[r.kind]],
          ["条数", (r) => r.total],
          ["", (r) => bar(r.total, max)],
        ],
      ),
    );
  }
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    history.replaceState(null, "", "breaches" + query(filters()));
    load(null);
  });
  $("more").addEventListener("click", () => load(cursor));
  $("export").addEventListener("click", () =>
    download("/breaches" + query(Object.assign(filters(), { format: "csv" })), "breaches.csv").catch((e) =>
      flash("导出失败：" + e.message, "error"),
    ),
  );
  await load(null);
};

function bar(value, max) {
  const b = el("span", { className: "bar" });
  b.style.width = Math.round((value / max) * 200) + "px";
  return b;
}

PAGES.held = async function () {
  async function load() {
    const data = await api("/held");
    clear($("held")).append(
      table(
        data.items,
        [
          ["记录", (r) => recordLink(r.record_id)],
          ["部门", (r) => r.department],
          ["类别", (r) => CATEGORY_ZH[r.category] || r.category],
          ["文号", (r) => r.doc_no],
          ["名称（原文）", (r) => r.subject_name],
          ["代码（原文）", (r) => r.uscc || r.reg_no],
          ["暂存原因", (r) => r.held_reason],
          ["公示期限", (r) => r.publish_due],
          ["处理", resolveCell],
        ],
        "没有待处理的记录",
      ),
    );
  }
  function resolveCell(r) {
    const uscc = el("input", { placeholder: "统一社会信用代码", className: "uscc", size: 20 });
    const reason = el("input", { placeholder: "退回原因", className: "reason", size: 14 });
    async function send(body) {
      try {
        await api("/records/" + encodeURIComponent(r.record_id) + "/attribute", { method: "POST", json: body });
        flash((body.uscc ? "已记名：" : "已退回：") + r.record_id, "ok");
        await load();
      } catch (e) {
        flash("处理失败：" + e.message, "error");
      }
    }
    return el(
      "span",
      { className: "resolve" },
      uscc,
      el("button", { type: "button", className: "attribute", onclick: () => uscc.value.trim() && send({ uscc: uscc.value.trim() }) }, "记名"),
      reason,
      el("button", { type: "button", className: "reject", onclick: () => reason.value.trim() && send({ reject: reason.value.trim() }) }, "退回"),
    );
  }
  await load();
};

PAGES.record = async function () {
  const params = new URLSearchParams(location.search);
  $("print").addEventListener("click", () => window.print());
  $("record-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const id = $("record-id").value.trim();
    history.replaceState(null, "", "record" + query({ id }));
    show(id);
  });
  let shown = null;
  // The evidence bundle (zip + SHA-256 manifest, checked offline by `guiji audit verify-bundle`).
  $("evidence").addEventListener("click", () =>
    download("/records/" + encodeURIComponent(shown) + "/evidence", "evidence-" + shown + ".zip", "application/zip").catch((e) =>
      flash("下载失败：" + e.message, "error"),
    ),
  );
  async function show(id) {
    const box = clear($("record"));
    $("evidence").hidden = true;
    try {
      const t = await api("/records/" + encodeURIComponent(id));
      shown = id;
      $("evidence").hidden = false;
      const r = t.record;
      box.append(
        el(
          "section",
          { className: "card" },
          el("h2", {}, "当前状态"),
          keyValues([
            ["记录编号", r.record_id],
            ["数据提供部门", r.department],
            ["行政区划", r.region_code],
            ["类别", CATEGORY_ZH[r.category] || r.category],
            ["文号", r.doc_no],
            ["市场主体（原文）", r.subject_name],
            ["统一社会信用代码", r.attributed_uscc || r.uscc],
            ["信息产生日期", r.production_date],
            ["归集时间", when(r.collected_at)],
            ["归集期限（7个工作日）", r.collect_due ? r.collect_due + (r.collection_late_days ? "（超期 " + r.collection_late_days + " 个工作日）" : "") : "不适用（市场监管部门自产）"],
            ["公示期限（20个工作日）", r.publish_due],
            ["公示时间", r.published_at ? when(r.published_at) : "未公示"],
            ["暂存", r.held ? "是：" + (r.held_reason || "") : "否"],
            ["版本", r.version],
            ["日历版本", r.calendar_version],
          ]),
        ),
        el(
          "section",
          { className: "card" },
          el("h2", {}, "期限说明"),
          el("div", { id: "due-explain" }),
        ),
        el(
          "section",
          { className: "card" },
          el("h2", {}, "违规"),
          breachTable(t.breaches, false),
        ),
        el(
          "section",
          { className: "card", id: "feedback" },
          el("h2", {}, "联合惩戒反馈"),
          table(t.feedback || [], [
            ["反馈部门", (f) => f.department_name || f.department],
            ["惩戒措施", (f) => f.measure],
            ["措施日期", (f) => f.measure_date],
            ["备注", (f) => f.note || "—"],
            ["收到时间", (f) => when(f.at)],
          ], "暂无反馈"),
        ),
        el(
          "section",
          { className: "card" },
          el("h2", {}, "历史版本"),
          table(t.versions, [
            ["版本", (v) => v.version],
            ["文号", (v) => v.doc_no],
            ["信息产生日期", (v) => v.production_date],
            ["归集时间", (v) => when(v.collected_at)],
          ], "无更早版本"),
        ),
        el(
          "section",
          { className: "card" },
          el("h2", {}, "审计轨迹"),
          el(
            "ol",
            { className: "timeline" },
            t.audit.map((a) =>
              el("li", {}, el("time", {}, when(a.at)), " ", el("strong", {}, a.event), " · ", a.actor, " ", el("code", {}, JSON.stringify(a.detail))),
            ),
          ),
        ),
      );
      explain(t.due_dates);
    } catch (e) {
      flash("查询失败：" + e.message, "error");
    }
  }
  // Each clock explained by the API: working days counted, make-up days (调休) among them, rest days skipped.
  function explain(dueDates) {
    const box = clear($("due-explain"));
    box.classList.remove("muted");
    for (const [clock, label] of [["collect", "归集（7个工作日）"], ["publish", "公示（20个工作日）"]]) {
      const e = (dueDates || {})[clock];
      if (!e) continue;
      box.append(el("h3", {}, label), el("ul", {}, (e.text || []).map((line) => el("li", {}, line))));
    }
    if (!box.childNodes.length) box.append("—");
  }
  if (params.get("id")) {
    $("record-id").value = params.get("id");
    show(params.get("id"));
  }
};

PAGES.digests = async function () {
  const form = $("digest-form");
  const params = new URLSearchParams(location.search);
  for (const [k, v] of params) if (form.elements[k]) form.elements[k].value = v;
  $("print").addEventListener("click", () => window.print());
  function filters() {
    const out = {};
    for (const name of ["region", "from", "to"]) out[name] = form.elements[name].value.trim();
    return out;
  }
  function open(d) {
    const box = $("digest");
    clear(box).append(
      el("h2", {}, d.subject),
      keyValues([
        ["日期", d.as_of],
        ["层级", d.level_name],
        ["紧急程度", d.severity_name || "—"],
        ["涉及违规", d.breach_count + " 条"],
        ["发送时间", when(d.sent_at)],
      ]),
      el("pre", { className: "digest-body" }, d.body),
    );
    box.hidden = false;
    box.scrollIntoView();
  }
  async function load() {
    const f = filters();
    try {
      const data = await api("/digests" + query(f));
      $("jurisdiction").textContent = (data.jurisdiction_name || data.jurisdiction) + " ";
      $("total").textContent = data.from + " 至 " + data.to + "，共 " + data.total + " 份";
      if (!f.from) form.elements.from.value = data.from;
      if (!f.to) form.elements.to.value = data.to;
      clear($("digest-list")).append(
        table(
          data.items,
          [
            ["日期", (d) => d.as_of],
            ["层级", (d) => d.level_name],
            ["紧急程度", (d) => d.severity_name || "—"],
            ["涉及违规", (d) => String(d.breach_count)],
            ["标题", (d) => el("button", { type: "button", className: "link", onclick: () => open(d) }, d.subject)],
          ],
          "该期间没有收到督办日报",
        ),
      );
      $("digest").hidden = true;
    } catch (e) {
      flash("查询失败：" + e.message, "error");
    }
  }
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    history.replaceState(null, "", "digests" + query(filters()));
    load();
  });
  await load();
};

PAGES.audit = async function () {
  $("verify").addEventListener("click", async () => {
    const box = clear($("verify-result"));
    box.append(el("progress"));
    try {
      const r = await api("/audit/verify");
      clear(box).append(
        el("p", { className: r.ok ? "ok" : "error", id: "verify-status" }, r.ok ? "审计轨迹完整：共核验 " + r.entries + " 条" : "发现 " + r.problems.length + " 处问题（共 " + r.entries + " 条）"),
        r.problems.length ? el("ul", {}, r.problems.map((p) => el("li", {}, p))) : null,
      );
    } catch (e) {
      clear(box);
      flash("核验失败：" + e.message, "error");
    }
  });
};

PAGES.bulletins = async function () {
  const data = await api("/bulletins");
  clear($("bulletin-list")).append(
    table(
      data.items,
      [
        ["范围", (b) => b.scope],
        ["期间", (b) => b.period],
        ["", (b) => el("button", { type: "button", className: "open-bulletin", onclick: () => view(b.scope, b.period) }, "查看")],
      ],
      "尚无通报",
    ),
  );
  async function view(scope, period) {
    const b = await api("/bulletins/" + encodeURIComponent(scope) + "/" + encodeURIComponent(period));
    const box = clear($("bulletin"));
    box.hidden = false;
    const rateCols = [
      ["及时率", (r) => pct(r.timely_rate)],
      ["公示及时率", (r) => pct(r.publication_timely_rate)],
      ["合规率", (r) => pct(r.compliance_rate)],
      ["记名率", (r) => pct(r.attribution_rate)],
    ];
    box.append(
      el("h2", { id: "bulletin-title" }, b.title),
      el("button", { type: "button", className: "noprint", onclick: () => window.print() }, "打印"),
      el("h3", {}, "总体情况"),
      table([b.rates], rateCols),
      el("ul", {}, Object.values(b.comparison || {}).map((c) => el("li", {}, c.label + "：" + c.text))),
      el("h3", {}, "各地区"),
      table(b.by_region || [], [["地区", (r) => r.name]].concat(rateCols)),
      el("h3", {}, "各部门"),
      table(b.by_department || [], [["部门", (r) => r.name]].concat(rateCols)),
      el("h3", {}, "逾期名单"),
      table(b.overdue || [], [
        ["类型", (r) => r.kind_zh],
        ["部门", (r) => r.department_name],
        ["地区", (r) => r.region_name],
        ["文号", (r) => r.doc_no],
        ["市场主体", (r) => r.subject_name],
        ["应完成日", (r) => r.due],
        ["超期工作日", (r) => r.working_days_late],
      ], "无逾期"),
    );
    box.scrollIntoView();
  }
};

// ---------------------------------------------------------------- start

document.addEventListener("DOMContentLoaded", async () => {
  const page = document.body.dataset.page;
  const open = page === "login" || page === "public";
  if (!open && !token()) return signOut("请先登录");
  let who = open ? null : me();
  if (!open && !who) {
    try {
      who = await api("/me");
      sessionStorage.setItem(ME_KEY, JSON.stringify(who));
    } catch (e) {
      return;
    }
  }
  setupChrome(who);
  try {
    await PAGES[page](who);
  } catch (e) {
    flash(e.message, "error");
  }
});
