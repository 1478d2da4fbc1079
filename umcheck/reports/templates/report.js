/* umcheck report: sortable, filterable host table. The view state lives in the URL fragment
   (#q=lnx&readiness=Ready&sort=host&dir=desc) so a filtered view can be bookmarked or shared.
   A host's detail (#host-N) is built when it is opened, from the JSON data block and the
   outcome row templates: host text is only ever set with textContent, never parsed as HTML.
   Errors are recorded on <html data-js-errors> so headless tests can assert there were none. */
(function () {
  "use strict";
  var root = document.documentElement;
  var errors = [];
  function record(message) {
    errors.push(String(message));
    root.setAttribute("data-js-errors", errors.join(" | "));
  }
  window.addEventListener("error", function (e) { record(e.message || "script error"); });
  document.addEventListener("securitypolicyviolation", function (e) {
    record("CSP blocked " + e.violatedDirective);
  });

  var table = document.getElementById("hosts-table");
  if (!table) { root.setAttribute("data-ready", "1"); return; }
  var tbody = table.tBodies[0];
  var headers = Array.prototype.slice.call(table.tHead.rows[0].cells);
  var rows = Array.prototype.slice.call(tbody.rows);
  rows.forEach(function (row, i) { row.setAttribute("data-order", String(i)); });
  var input = document.getElementById("host-filter");
  var readiness = document.getElementById("readiness-filter");
  var status = document.getElementById("status-filter");
  var counter = document.getElementById("host-count");
  var noMatch = document.getElementById("no-match");
  var state = { q: "", readiness: "", status: "", sort: "", dir: "asc" };
  /* rows listed per "Show more" (the server already hid the rest): 10,000 rows stay quick to lay out */
  var PAGE = Number(table.getAttribute("data-page")) || 500;
  var limit = PAGE;
  var moreRows = document.getElementById("more-rows");
  var sorted = false;

  function columnIndex(key) {
    for (var i = 0; i < headers.length; i++) {
      if (headers[i].getAttribute("data-key") === key) { return i; }
    }
    return -1;
  }

  function cellKey(row, index) {
    var cell = row.cells[index];
    var value = cell.hasAttribute("data-sort") ? cell.getAttribute("data-sort") : cell.textContent;
    return value.trim().toLowerCase();
  }

  function compare(a, b) {
    var na = Number(a), nb = Number(b);
    if (a !== "" && b !== "" && !isNaN(na) && !isNaN(nb)) { return na - nb; }
    return a < b ? -1 : (a > b ? 1 : 0);
  }

  function matches(row) {
    if (state.readiness && row.getAttribute("data-readiness") !== state.readiness) { return false; }
    if (state.status && row.getAttribute("data-status") !== state.status) { return false; }
    var text = row.getAttribute("data-search") || "";
    var tokens = state.q.toLowerCase().split(/\s+/).filter(Boolean);
    return tokens.every(function (t) { return text.indexOf(t) !== -1; });
  }

  function render() {
    var index = columnIndex(state.sort);
    var ordered = rows.slice();
    var reorder = index >= 0 || sorted;
    sorted = index >= 0;
    if (index >= 0) {
      var sign = state.dir === "desc" ? -1 : 1;
      ordered.sort(function (a, b) {
        return sign * compare(cellKey(a, index), cellKey(b, index)) ||
          Number(a.getAttribute("data-order")) - Number(b.getAttribute("data-order"));
      });
    }
    var shown = 0, listed = 0;
    ordered.forEach(function (row) {
      var visible = matches(row);
      if (visible) { shown += 1; }
      var hide = !visible || shown > limit;
      if (row.hidden !== hide) { row.hidden = hide; }  /* untouched rows need no new layout */
      if (!hide) { listed += 1; }
      if (reorder) { tbody.appendChild(row); }
    });
    headers.forEach(function (th, i) {
      if (i === index) { th.setAttribute("aria-sort", state.dir === "desc" ? "descending" : "ascending"); }
      else { th.removeAttribute("aria-sort"); }
    });
    counter.textContent = (shown === rows.length ? rows.length + " hosts" : shown + " of " + rows.length + " hosts") +
      (listed < shown ? " (first " + listed + " listed)" : "");
    noMatch.hidden = shown !== 0;
    moreRows.hidden = listed >= shown;
  }

  function readHash() {
    var hash = window.location.hash.slice(1);
    if (hash.indexOf("=") === -1) { return false; }  /* a plain #host-3 anchor, not a view */
    var params = new URLSearchParams(hash);
    state.q = params.get("q") || "";
    state.readiness = params.get("readiness") || "";
    state.status = params.get("status") || "";
    state.sort = params.get("sort") || "";
    state.dir = params.get("dir") === "desc" ? "desc" : "asc";
    input.value = state.q;
    readiness.value = state.readiness;
    status.value = state.status;
    state.readiness = readiness.value;  /* an unknown value falls back to "All" */
    state.status = status.value;
    return true;
  }

  function writeHash() {
    var params = new URLSearchParams();
    ["q", "readiness", "status", "sort"].forEach(function (k) { if (state[k]) { params.set(k, state[k]); } });
    if (state.sort && state.dir === "desc") { params.set("dir", "desc"); }
    try {
      window.history.replaceState(null, "", "#" + params.toString());
    } catch (e) { /* some viewers forbid history changes for local files; the view still works */ }
  }

  function update() { limit = PAGE; render(); writeHash(); }

  input.addEventListener("input", function () { state.q = input.value; update(); });
  readiness.addEventListener("change", function () { state.readiness = readiness.value; update(); });
  status.addEventListener("change", function () { state.status = status.value; update(); });
  headers.forEach(function (th) {
    th.querySelector("button").addEventListener("click", function () {
      var key = th.getAttribute("data-key");
      state.dir = state.sort === key && state.dir === "asc" ? "desc" : "asc";
      state.sort = key;
      update();
    });
  });
  document.getElementById("show-more").addEventListener("click", function () { limit += PAGE; render(); });

  /* --- host details, on demand ------------------------------------------------------------ */
  var data = null;  /* parsed when the first host is opened, not while the page loads */
  var templates = document.querySelectorAll("template.outcome-row");
  var panel = document.getElementById("host-details");
  var hint = document.getElementById("details-hint");
  var F = {};

  function loadData() {
    if (data) { return data; }
    var node = document.getElementById("host-data");
    data = node ? JSON.parse(node.textContent) : { fields: [], s: [], e: [], r: [], x: [], h: [] };
    data.fields.forEach(function (name, i) { F[name] = i; });
    return data;
  }

  function str(i) { return i >= 0 ? data.s[i] : null; }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }

  function codeList(parent, indexes) {
    indexes.forEach(function (i, n) {
      if (n) { parent.appendChild(document.createTextNode(", ")); }
      parent.appendChild(el("code", "", str(i)));
    });
  }

  function outcomesTable(rows, evidence) {
    var table = el("table", "grid outcomes");
    var cols = el("colgroup");
    ["c-result", "c-rule", "c-message", "c-evidence"].forEach(function (c) { cols.appendChild(el("col", c)); });
    table.appendChild(cols);
    var head = el("tr");
    ["Result", "Rule", "Message", "Evidence"].forEach(function (t) { head.appendChild(el("th", "", t)); });
    table.appendChild(el("thead")).appendChild(head);
    var body = table.appendChild(el("tbody"));
    for (var i = 0; i < rows.length; i++) {
      var row = templates[rows[i]].content.firstElementChild.cloneNode(true);
      var ev = evidence[i] >= 0 ? data.e[evidence[i]] : [];
      if (ev.length) {
        var dl = el("dl", "evidence");
        for (var k = 0; k < ev.length; k += 2) {
          dl.appendChild(el("dt", "", str(ev[k])));
          dl.appendChild(el("dd", "", str(ev[k + 1])));
        }
        row.querySelector(".evidence-cell").appendChild(dl);
      }
      body.appendChild(row);
    }
    return table;
  }

  function buildHost(n) {
    var h = data.h[n - 1];
    var details = el("details", "host");
    details.id = "host-" + n;
    details.open = true;
    var summary = details.appendChild(el("summary"));
    var readiness = str(h[F.readiness]);
    summary.appendChild(el("span", "badge badge-" + str(h[F.readiness_css]), readiness));
    summary.appendChild(el("strong", "host-name", str(h[F.name])));
    var meta = [str(h[F.os]) || ""];
    if (h[F.transport] >= 0) { meta.push(str(h[F.transport])); }
    if (h[F.address] >= 0) { meta.push(str(h[F.address])); }
    meta.push(str(h[F.elapsed]) + " s");
    summary.appendChild(el("span", "muted", meta.join(" · ")));
    var status = str(h[F.status]);
    if (status !== "ok") { summary.appendChild(el("span", "status status-bad", status)); }
    if (h[F.carried]) { summary.appendChild(el("span", "carried-tag", h[F.carried] + " carried")); }
    if (h[F.missing].length) { summary.appendChild(el("span", "partial-tag", "partial")); }
    var body = details.appendChild(el("div", "host-body"));
    if (h[F.reason] >= 0) {
      var why = body.appendChild(el("p"));
      why.appendChild(el("strong", "", "Why " + readiness + ":"));
      why.appendChild(document.createTextNode(" " + str(h[F.reason])));
    }
    if (h[F.error] >= 0) {
      var err = body.appendChild(el("p", "error"));
      err.appendChild(el("strong", "", (str(h[F.error_kind]) || status) + ":"));
      err.appendChild(document.createTextNode(" " + str(h[F.error])));
    }
    if (h[F.missing].length) {
      var note = body.appendChild(el("p", "partial-note"));
      note.appendChild(el("strong", "", "No result (partial):"));
      note.appendChild(document.createTextNode(" "));
      codeList(note, h[F.missing]);
      note.appendChild(document.createTextNode(". Not evaluated in this run and never before; run a full scan of this host to grade it."));
    }
    if (h[F.collector_errors].length) {
      body.appendChild(el("p")).appendChild(el("strong", "", "Collector errors:"));
      var list = body.appendChild(el("ul", "plain"));
      h[F.collector_errors].forEach(function (i) { list.appendChild(el("li")).appendChild(el("code", "", str(i))); });
    }
    if (h[F.migration] >= 0 && str(h[F.migration]) !== "Unknown") {
      var mig = body.appendChild(el("p"));
      mig.appendChild(el("strong", "", "Migration: " + str(h[F.migration]) + (h[F.migration_reason] >= 0 ? "," : "")));
      if (h[F.migration_reason] >= 0) { mig.appendChild(document.createTextNode(" " + str(h[F.migration_reason]))); }
    }
    var rowList = data.r[h[F.outcomes][0]];
    if (rowList.length) {
      body.appendChild(outcomesTable(rowList, data.x[h[F.outcomes][1]]));
    } else if (status === "ok") {
      body.appendChild(el("p", "muted", "No rule produced an outcome for this host."));
    }
    return details;
  }

  function openHost(id) {
    var m = /^host-(\d+)$/.exec(id);
    var n = m ? Number(m[1]) : 0;
    if (!n || n > loadData().h.length) { return false; }
    var node = document.getElementById(id);
    if (!node) {
      node = buildHost(n);
      panel.insertBefore(node, panel.firstChild);
    }
    node.open = true;
    hint.hidden = true;
    node.scrollIntoView();
    return true;
  }

  document.getElementById("close-all").addEventListener("click", function () {
    while (panel.firstChild) { panel.removeChild(panel.firstChild); }
    hint.hidden = false;
  });

  function onHash() {
    if (readHash()) { limit = PAGE; render(); return; }
    openHost(decodeURIComponent(window.location.hash.slice(1)));
  }
  window.addEventListener("hashchange", onHash);
  document.addEventListener("click", function (e) {  /* the same link again: no hashchange */
    var link = e.target.closest ? e.target.closest('a[href^="#host-"]') : null;
    if (link) { openHost(link.getAttribute("href").slice(1)); }
  });

  readHash();
  render();
  openHost(decodeURIComponent(window.location.hash.slice(1)));
  root.setAttribute("data-ready", "1");
})();
