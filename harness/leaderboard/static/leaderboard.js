/* harness leaderboard: sorting, filtering, search and row details, in plain JavaScript.
 * The data is embedded in the page (<script type="application/json" id="leaderboard-data">),
 * so the site works from file:// and loads nothing else. Text goes in through textContent only.
 * The index has one table per suite: runs are only ever ranked against runs on the same tasks. */
(function () {
  "use strict";

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === "text") node.textContent = attrs[key];
      else if (key === "className") node.className = attrs[key];
      else node.setAttribute(key, attrs[key]);
    });
    (children || []).forEach(function (child) {
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function f3(x) { return Number(x).toFixed(3); }
  function f0(x) { return Number(x).toFixed(0); }

  /* pass@1 with its interval, drawn as a small bar under the number. */
  function intervalCell(row) {
    var bar = el("span", { className: "ci-bar", "aria-hidden": "true" }, [
      el("span", { className: "ci-range", style: "left:" + (100 * row.ci_low) + "%;width:" +
        Math.max(1, 100 * (row.ci_high - row.ci_low)) + "%" }),
      el("span", { className: "ci-point", style: "left:" + (100 * row.pass_rate) + "%" })
    ]);
    return [el("b", { text: f3(row.pass_rate) }), " ",
      el("span", { className: "ci", text: "[" + f3(row.ci_low) + ", " + f3(row.ci_high) + "]" }), bar];
  }

  var COLUMNS = [
    { key: "rank", type: "num", cell: function (r) { return [String(r.rank)]; } },
    { key: "name", type: "str", cell: function (r) {
      return [el("button", { className: "expander", type: "button", "aria-expanded": "false",
        "aria-label": "show details of " + r.name }), el("a", { href: r.page, text: r.name }),
        el("span", { className: "run-id", text: r.run_id })];
    } },
    { key: "model", type: "str", cell: function (r) { return [r.model]; } },
    { key: "agent", type: "str", cell: function (r) { return [r.agent]; } },
    { key: "template", type: "str", cell: function (r) {
      return [r.template ? el("code", { text: r.template }) : el("span", { className: "muted", text: "learned" })];
    } },
    { key: "pass_rate", type: "num", cell: intervalCell },
    { key: "syntax_valid_rate", type: "num", cell: function (r) { return [f3(r.syntax_valid_rate)]; } },
    { key: "mean_partial_credit", type: "num", cell: function (r) { return [f3(r.mean_partial_credit)]; } },
    { key: "timeout_rate", type: "num", cell: function (r) { return [f3(r.timeout_rate)]; } },
    { key: "mean_completion_tokens", type: "num", cell: function (r) { return [f0(r.mean_completion_tokens)]; } },
    { key: "calls_per_answer", type: "num", cell: function (r) { return [Number(r.calls_per_answer).toFixed(2)]; } },
    { key: "uplift", type: "num", cell: upliftCell },
    { key: "samples", type: "num", cell: function (r) { return [String(r.samples)]; } }
  ];

  /* Learned rows: pass@1 gained over the default template on fresh answers, with its interval. */
  function upliftCell(r) {
    if (r.uplift === null || r.uplift === undefined) return [el("span", { className: "muted", text: "–" })];
    function signed(x) { return (x >= 0 ? "+" : "") + f3(x); }
    var sure = r.uplift_low > 0 || r.uplift_high < 0;
    return [el("b", { className: sure ? "uplift sure" : "uplift", text: signed(r.uplift) }), " ",
      el("span", { className: "ci", text: "[" + signed(r.uplift_low) + ", " + signed(r.uplift_high) + "]" })];
  }

  function compare(a, b, key, type) {
    var x = a[key], y = b[key];
    if (type === "num") return (Number(x) - Number(y)) || (a.rank - b.rank);
    return String(x).localeCompare(String(y)) || (a.rank - b.rank);
  }

  function provenanceList(prov) {
    var dl = el("dl", { className: "provenance" });
    Object.keys(prov).forEach(function (key) {
      var value = prov[key];
      var text = value === null || value === undefined ? "" :
        (typeof value === "object" ? JSON.stringify(value) : String(value));
      dl.appendChild(el("dt", { text: key }));
      dl.appendChild(el("dd", { text: text }));
    });
    return dl;
  }

  function taskTable(tasks) {
    var head = el("tr", {}, ["task", "samples", "pass@1 [95% CI]", "syntax valid", "partial credit",
      "timeouts", "best template"].map(function (h) { return el("th", { text: h }); }));
    var body = el("tbody", {}, tasks.map(function (t) {
      return el("tr", {}, [
        el("td", { text: t.task }), el("td", { className: "num", text: String(t.samples) }),
        el("td", { className: "num" }, [f3(t.pass_rate) + " ",
          el("span", { className: "ci", text: "[" + f3(t.ci_low) + ", " + f3(t.ci_high) + "]" })]),
        el("td", { className: "num", text: f3(t.syntax_valid_rate) }),
        el("td", { className: "num", text: f3(t.mean_partial_credit) }),
        el("td", { className: "num", text: f3(t.timeout_rate) }),
        el("td", {}, [el("code", { text: t.best_template })])
      ]);
    }));
    return el("table", { className: "tasks" }, [el("thead", {}, [head]), body]);
  }

  function details(row, span) {
    var box = el("div", { className: "details" }, [
      el("div", {}, [el("h3", { text: "Per task" }), el("div", { className: "tasks-wrap" }, [taskTable(row.per_task)]),
        el("p", {}, [el("a", { href: row.page, text: "learning curve and learned prompts →" })])]),
      el("div", {}, [el("h3", { text: "Provenance" }), provenanceList(row.provenance)])
    ]);
    return el("tr", { className: "detail-row", id: "details-" + row.run_id },
      [el("td", { colspan: String(span) }, [box])]);
  }

  /* One table per suite (table.board[data-suite-hash]); each sorts on its own, while search and the
   * model/agent filters apply to every table. A table with no matching run is hidden with its section. */
  function initBoards() {
    var source = document.getElementById("leaderboard-data");
    if (!source || !document.getElementById("search")) return;  /* the compare page has no boards */
    var rows = JSON.parse(source.textContent).rows;
    var filter = { model: "", agent: "", query: "" };
    var open = {};
    var search = document.getElementById("search");
    var models = document.getElementById("filter-model");
    var agents = document.getElementById("filter-agent");
    var count = document.getElementById("count");
    var empty = document.getElementById("empty");
    var tables = [];

    function fill(select, field) {
      var seen = {};
      rows.forEach(function (r) { seen[r[field]] = true; });
      Object.keys(seen).sort().forEach(function (v) { select.appendChild(el("option", { value: v, text: v })); });
    }
    fill(models, "model");
    fill(agents, "agent");

    function matches(r) {
      if (filter.model && r.model !== filter.model) return false;
      if (filter.agent && r.agent !== filter.agent) return false;
      if (!filter.query) return true;
      var hay = [r.name, r.run_id, r.model, r.agent, r.template, r.reward, r.suite, r.suite_hash]
        .concat(r.tasks).join(" ").toLowerCase();
      return filter.query.split(/\s+/).every(function (word) { return hay.indexOf(word) >= 0; });
    }

    function renderTable(t) {
      var state = t.state;
      var shown = t.rows.filter(matches).sort(function (a, b) {
        return state.dir * compare(a, b, state.key, state.type);
      });
      t.body.textContent = "";
      shown.forEach(function (r) {
        var tr = el("tr", { className: "run-row", "data-run-id": r.run_id },
          COLUMNS.map(function (c) {
            return el("td", { className: c.type === "num" ? "num col-" + c.key : "col-" + c.key }, c.cell(r));
          }));
        var isOpen = !!open[r.run_id];
        var button = tr.querySelector(".expander");
        button.setAttribute("aria-expanded", String(isOpen));
        button.setAttribute("aria-controls", "details-" + r.run_id);
        tr.classList.toggle("open", isOpen);
        tr.addEventListener("click", function (event) {
          if (event.target.closest("a")) return;
          open[r.run_id] = !open[r.run_id];
          renderTable(t);
        });
        t.body.appendChild(tr);
        if (isOpen) t.body.appendChild(details(r, COLUMNS.length));
      });
      t.headers.forEach(function (th) {
        var active = th.getAttribute("data-key") === state.key;
        th.setAttribute("aria-sort", active ? (state.dir > 0 ? "ascending" : "descending") : "none");
      });
      if (t.section) t.section.hidden = shown.length === 0;
      return shown.length;
    }

    function render() {
      var shown = 0;
      tables.forEach(function (t) { shown += renderTable(t); });
      count.textContent = "showing " + shown + " of " + rows.length + " run" + (rows.length === 1 ? "" : "s");
      empty.hidden = shown > 0;
    }

    Array.prototype.forEach.call(document.querySelectorAll("table.board[data-suite-hash]"), function (table) {
      var hash = table.getAttribute("data-suite-hash");
      var t = {
        table: table, body: table.tBodies[0], section: table.closest("section"),
        rows: rows.filter(function (r) { return r.suite_hash === hash; }),
        headers: Array.prototype.slice.call(table.querySelectorAll("th[data-key]")),
        state: { key: "rank", type: "num", dir: 1 }
      };
      t.headers.forEach(function (th) {
        th.tabIndex = 0;
        function sort() {
          var key = th.getAttribute("data-key"), type = th.getAttribute("data-type");
          if (t.state.key === key) t.state.dir = -t.state.dir;
          else { t.state.key = key; t.state.type = type; t.state.dir = (type === "num" && key !== "rank") ? -1 : 1; }
          renderTable(t);
        }
        th.addEventListener("click", sort);
        th.addEventListener("keydown", function (e) { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sort(); } });
      });
      tables.push(t);
    });
    search.addEventListener("input", function () { filter.query = search.value.trim().toLowerCase(); render(); });
    models.addEventListener("change", function () { filter.model = models.value; render(); });
    agents.addEventListener("change", function () { filter.agent = agents.value; render(); });
    render();
  }

  /* Tables on run pages: click a header to sort by it (data-sort overrides the cell text). */
  function initSortable(table) {
    var headers = Array.prototype.slice.call(table.querySelectorAll("thead th"));
    var state = { index: -1, dir: 1 };
    headers.forEach(function (th, index) {
      th.tabIndex = 0;
      th.setAttribute("aria-sort", "none");
      function sort() {
        var numeric = th.getAttribute("data-type") === "num";
        state.dir = state.index === index ? -state.dir : (numeric ? -1 : 1);
        state.index = index;
        var tbody = table.tBodies[0];
        var rows = Array.prototype.slice.call(tbody.rows);
        function value(row) {
          var cell = row.cells[index];
          var raw = cell.getAttribute("data-sort") || cell.textContent.trim();
          return numeric ? parseFloat(raw) : raw;
        }
        rows.sort(function (a, b) {
          var x = value(a), y = value(b);
          return state.dir * (numeric ? x - y : String(x).localeCompare(String(y)));
        });
        rows.forEach(function (row) { tbody.appendChild(row); });
        headers.forEach(function (h, i) {
          h.setAttribute("aria-sort", i === index ? (state.dir > 0 ? "ascending" : "descending") : "none");
        });
      }
      th.addEventListener("click", sort);
      th.addEventListener("keydown", function (e) { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sort(); } });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    initBoards();
    Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), initSortable);
  });
})();
