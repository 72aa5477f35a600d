/* The compare page: two runs of one suite, task by task (B - A), with a seeded bootstrap
 * interval over tasks and, within each task, over each run's answers (a binomial draw from the
 * task's passed / samples, which is what resampling 0/1 answers gives). */
(function () {
  "use strict";
  var PASSING = 0.5, RESAMPLES = 4000;

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function f3(x) { return Number(x).toFixed(3); }
  function signed(x) { return (x >= 0 ? "+" : "") + f3(x); }

  /* mulberry32: a small seeded generator, so the page shows the same interval on every load. */
  function rng(seed) {
    return function () {
      seed = (seed + 0x6D2B79F5) | 0;
      var t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }
  function binomialShare(n, p, random) {
    var k = 0;
    for (var i = 0; i < n; i++) if (random() < p) k++;
    return k / n;
  }

  function compareRuns(a, b) {
    var byA = {}, byB = {};
    a.per_task.forEach(function (t) { byA[t.task] = t; });
    b.per_task.forEach(function (t) { byB[t.task] = t; });
    var tasks = Object.keys(byA).filter(function (t) { return t in byB; }).sort();
    var lines = tasks.map(function (t) {
      var x = byA[t], y = byB[t];
      var flipped = y.pass_rate >= PASSING && x.pass_rate < PASSING ? "gained"
        : x.pass_rate >= PASSING && y.pass_rate < PASSING ? "lost" : "";
      return { task: t, a: x, b: y, diff: y.pass_rate - x.pass_rate, flipped: flipped };
    });
    if (!lines.length) return { lines: lines };
    var mean = lines.reduce(function (s, l) { return s + l.diff; }, 0) / lines.length;
    var random = rng(12345), draws = [];
    for (var r = 0; r < RESAMPLES; r++) {
      var total = 0;
      for (var i = 0; i < lines.length; i++) {
        var l = lines[Math.floor(random() * lines.length)];
        total += binomialShare(l.b.samples, l.b.pass_rate, random) - binomialShare(l.a.samples, l.a.pass_rate, random);
      }
      draws.push(total / lines.length);
    }
    draws.sort(function (x, y) { return x - y; });
    return { lines: lines, diff: mean, low: draws[Math.floor(0.025 * (RESAMPLES - 1))],
             high: draws[Math.ceil(0.975 * (RESAMPLES - 1))] };
  }

  function verdict(c, a, b) {
    if (!c.lines.length) return "these runs share no task";
    var cost = "at " + Number(b.calls_per_answer).toFixed(2) + " against " +
      Number(a.calls_per_answer).toFixed(2) + " calls per answer";
    if (c.low > 0) return "B beats A: the 95% interval of B − A lies above 0, " + cost;
    if (c.high < 0) return "B is worse than A: the 95% interval of B − A lies below 0, " + cost;
    return "no evidence at this sample size that B differs from A: the 95% interval of B − A includes 0, " + cost;
  }

  function init() {
    var source = document.getElementById("leaderboard-data");
    var suiteSelect = document.getElementById("compare-suite");
    if (!source || !suiteSelect) return;
    var boards = JSON.parse(source.textContent).boards;
    var pickA = document.getElementById("compare-a"), pickB = document.getElementById("compare-b");
    var query = new URLSearchParams(window.location.search);

    boards.forEach(function (board, i) {
      suiteSelect.appendChild(el("option", { value: String(i) }, board.name + " (" + board.tasks.length + " tasks)"));
    });
    var wantA = query.get("a"), wantB = query.get("b");
    boards.forEach(function (board, i) {
      if (board.rows.some(function (r) { return r.run_id === wantA || r.run_id === wantB; })) suiteSelect.value = String(i);
    });

    function fillRuns(first) {
      var board = boards[Number(suiteSelect.value)];
      [pickA, pickB].forEach(function (select) {
        select.textContent = "";
        board.rows.forEach(function (r) {
          select.appendChild(el("option", { value: r.run_id }, "#" + r.rank + " " + r.name));
        });
      });
      var ids = board.rows.map(function (r) { return r.run_id; });
      pickB.value = first && ids.indexOf(wantB) >= 0 ? wantB : ids[0];
      pickA.value = first && ids.indexOf(wantA) >= 0 ? wantA : ids[Math.min(1, ids.length - 1)];
      show();
    }

    function show() {
      var board = boards[Number(suiteSelect.value)];
      var find = function (id) { return board.rows.filter(function (r) { return r.run_id === id; })[0]; };
      var a = find(pickA.value), b = find(pickB.value);
      if (!a || !b) return;
      var c = compareRuns(a, b);
      document.getElementById("compare-verdict").textContent = verdict(c, a, b);
      document.getElementById("compare-diff").textContent = c.lines.length
        ? signed(c.diff) + " [" + signed(c.low) + ", " + signed(c.high) + "]" : "–";
      document.getElementById("compare-n").textContent = String(c.lines.length);
      document.getElementById("compare-calls").textContent =
        Number(a.calls_per_answer).toFixed(2) + " / " + Number(b.calls_per_answer).toFixed(2);
      var gained = c.lines.filter(function (l) { return l.flipped === "gained"; }).map(function (l) { return l.task; });
      var lost = c.lines.filter(function (l) { return l.flipped === "lost"; }).map(function (l) { return l.task; });
      document.getElementById("compare-flipped").textContent =
        "B gained " + (gained.join(", ") || "none") + "; B lost " + (lost.join(", ") || "none");
      var body = document.getElementById("compare-body");
      body.textContent = "";
      c.lines.forEach(function (l) {
        var tr = el("tr", { "data-task": l.task, "class": l.flipped ? "flip-" + l.flipped : "" });
        tr.appendChild(el("td", {}, l.task));
        tr.appendChild(el("td", { "class": "num" }, f3(l.a.pass_rate)));
        tr.appendChild(el("td", { "class": "num" }, f3(l.b.pass_rate)));
        tr.appendChild(el("td", { "class": "num" }, signed(l.diff)));
        tr.appendChild(el("td", { "class": "num" }, l.a.samples + " / " + l.b.samples));
        tr.appendChild(el("td", {}, l.flipped));
        body.appendChild(tr);
      });
      var url = "?a=" + encodeURIComponent(a.run_id) + "&b=" + encodeURIComponent(b.run_id);
      try { window.history.replaceState(null, "", url); } catch (e) { /* file:// may refuse */ }
    }

    suiteSelect.addEventListener("change", function () { fillRuns(false); });
    pickA.addEventListener("change", show);
    pickB.addEventListener("change", show);
    fillRuns(true);
  }
  init();
})();
