/* umcheck report: sortable, filterable host table. The view state lives in the URL fragment
   (#q=lnx&readiness=Ready&sort=host&dir=desc) so a filtered view can be bookmarked or shared.
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
    if (index >= 0) {
      var sign = state.dir === "desc" ? -1 : 1;
      ordered.sort(function (a, b) {
        return sign * compare(cellKey(a, index), cellKey(b, index)) ||
          Number(a.getAttribute("data-order")) - Number(b.getAttribute("data-order"));
      });
    }
    var shown = 0;
    ordered.forEach(function (row) {
      var visible = matches(row);
      row.hidden = !visible;
      if (visible) { shown += 1; }
      tbody.appendChild(row);
    });
    headers.forEach(function (th, i) {
      if (i === index) { th.setAttribute("aria-sort", state.dir === "desc" ? "descending" : "ascending"); }
      else { th.removeAttribute("aria-sort"); }
    });
    counter.textContent = shown === rows.length ? rows.length + " hosts" : shown + " of " + rows.length + " hosts";
    noMatch.hidden = shown !== 0;
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

  function update() { render(); writeHash(); }

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
  window.addEventListener("hashchange", function () { if (readHash()) { render(); } });

  function toggleAll(open) {
    Array.prototype.forEach.call(document.querySelectorAll("details.host"), function (d) { d.open = open; });
  }
  document.getElementById("expand-all").addEventListener("click", function () { toggleAll(true); });
  document.getElementById("collapse-all").addEventListener("click", function () { toggleAll(false); });

  readHash();
  render();
  root.setAttribute("data-ready", "1");
})();
