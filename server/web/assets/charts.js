// hashlab charts: line, fan (quantile bands) and bar charts drawn as SVG by
// hand. No library; every chart has labelled axes with units, and every
// chart sets data-points on its <svg> to the number of data points drawn
// (the browser tests read it).
"use strict";
var HL = window.HL || {};
window.HL = HL;

(function () {
  var NS = "http://www.w3.org/2000/svg";
  var W = 820, H = 340, M = { l: 84, r: 24, t: 32, b: 52 };

  function el(tag, attrs, parent, text) {
    var e = document.createElementNS(NS, tag);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    if (parent) parent.appendChild(e);
    return e;
  }

  // fmt formats a number with an SI suffix and about 3 significant digits.
  HL.fmt = function (v, digits) {
    if (v === null || v === undefined || !isFinite(v)) return "–";
    digits = digits === undefined ? 3 : digits;
    var a = Math.abs(v);
    var units = [[1e18, "E"], [1e15, "P"], [1e12, "T"], [1e9, "G"], [1e6, "M"], [1e3, "k"]];
    for (var i = 0; i < units.length; i++) {
      if (a >= units[i][0]) return trim((v / units[i][0]).toPrecision(digits)) + units[i][1];
    }
    if (a === 0) return "0";
    if (a < 1e-3) return v.toExponential(digits - 1).replace(/\.?0+e/, "e");
    return trim(v.toPrecision(digits));
  };
  function trim(s) { return s.indexOf("e") >= 0 || s.indexOf(".") < 0 ? s : s.replace(/\.?0+$/, ""); }

  function niceStep(span, n) {
    var raw = span / n, p = Math.pow(10, Math.floor(Math.log10(raw))), f = raw / p;
    return (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * p;
  }
  function linTicks(lo, hi, n) {
    if (hi <= lo) { hi = lo + 1; }
    var s = niceStep(hi - lo, n), out = [];
    for (var v = Math.ceil(lo / s) * s; v <= hi + s * 1e-9; v += s) out.push(Math.abs(v) < s * 1e-9 ? 0 : v);
    return out;
  }
  // logTicks: powers of ten over wide ranges; 1-2-5 steps over two
  // decades or less, and linear steps when even those leave fewer than
  // three ticks (a short range on a log scale keeps labelled ticks).
  function logTicks(lo, hi) {
    var a = Math.floor(Math.log10(lo)), b = Math.ceil(Math.log10(hi)), out = [];
    if (b - a > 2) {
      var step = Math.max(1, Math.ceil((b - a) / 8));
      for (var e = a; e <= b; e += step) out.push(Math.pow(10, e));
      return out;
    }
    for (var e2 = a; e2 <= b; e2++) {
      [1, 2, 5].forEach(function (m) { var v = m * Math.pow(10, e2); if (v >= lo * (1 - 1e-12) && v <= hi * (1 + 1e-12)) out.push(v); });
    }
    if (out.length < 3) out = linTicks(lo, hi, 5).filter(function (v) { return v > 0; });
    return out;
  }
  function timeTicks(lo, hi) {
    var days = (hi - lo) / 864e5, out = [], d = new Date(lo);
    if (days > 3 * 365) {
      var yrs = days / 365, step = yrs > 40 ? 10 : yrs > 12 ? 2 : 1;
      for (var y = Math.ceil(d.getUTCFullYear() / step) * step; ; y += step) {
        var t = Date.UTC(y, 0, 1); if (t > hi) break; if (t >= lo) out.push([t, String(y)]);
      }
    } else {
      var mstep = days > 500 ? 3 : days > 180 ? 2 : 1;
      var mm = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1));
      for (; mm.getTime() <= hi; mm = new Date(Date.UTC(mm.getUTCFullYear(), mm.getUTCMonth() + mstep, 1))) {
        out.push([mm.getTime(), mm.toISOString().slice(0, 7)]);
      }
    }
    return out;
  }

  // frame draws axes, grid, ticks and titles and returns the scales.
  function frame(svg, o) {
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    svg.setAttribute("viewBox", "0 0 " + W + " " + H);
    svg.setAttribute("class", "chart");
    svg.setAttribute("role", "img");
    if (o.title) svg.setAttribute("aria-label", o.title);
    var x0 = M.l, x1 = W - M.r, y0 = H - M.b, y1 = M.t;
    var xlo = o.xlo, xhi = o.xhi, ylo = o.ylo, yhi = o.yhi;
    if (xhi === xlo) { xhi = xlo + 1; }
    if (o.logY) { ylo = Math.max(ylo, 1e-300); if (yhi <= ylo) yhi = ylo * 10; }
    else if (yhi === ylo) { yhi = ylo + 1; }
    var ly = function (v) { return Math.log10(v); };
    var sx = function (v) { return x0 + (v - xlo) / (xhi - xlo) * (x1 - x0); };
    var sy = o.logY
      ? function (v) { return y0 - (ly(Math.max(v, ylo)) - ly(ylo)) / (ly(yhi) - ly(ylo)) * (y0 - y1); }
      : function (v) { return y0 - (v - ylo) / (yhi - ylo) * (y0 - y1); };
    var grid = el("g", { "class": "grid" }, svg), axis = el("g", { "class": "axis" }, svg);
    var yt = o.logY ? logTicks(ylo, yhi) : linTicks(ylo, yhi, 6);
    yt.forEach(function (v) {
      if (v < ylo - 1e-12 * Math.abs(ylo) || v > yhi * (1 + 1e-12)) return;
      var y = sy(v);
      el("line", { x1: x0, x2: x1, y1: y, y2: y }, grid);
      el("text", { x: x0 - 6, y: y + 4, "text-anchor": "end" }, axis, (o.yFmt || HL.fmt)(v));
    });
    var xt = o.xTime ? timeTicks(xlo, xhi) : linTicks(xlo, xhi, 8).map(function (v) { return [v, (o.xFmt || HL.fmt)(v)]; });
    xt.forEach(function (t) {
      var x = sx(t[0]);
      el("line", { x1: x, x2: x, y1: y0, y2: y1 }, grid);
      el("line", { x1: x, x2: x, y1: y0, y2: y0 + 5 }, axis);
      el("text", { x: x, y: y0 + 18, "text-anchor": "middle" }, axis, t[1]);
    });
    el("line", { x1: x0, x2: x1, y1: y0, y2: y0 }, axis);
    el("line", { x1: x0, x2: x0, y1: y0, y2: y1 }, axis);
    el("text", { "class": "axis-title x-title", x: (x0 + x1) / 2, y: H - 10, "text-anchor": "middle" }, svg, o.xLabel || "");
    el("text", { "class": "axis-title y-title", x: 20, y: (y0 + y1) / 2, "text-anchor": "middle", transform: "rotate(-90 20 " + (y0 + y1) / 2 + ")" }, svg, o.yLabel || "");
    if (o.title) el("text", { "class": "title", x: x0, y: 21 }, svg, o.title);
    return { sx: sx, sy: sy, x0: x0, x1: x1, y0: y0, y1: y1 };
  }

  function extent(vals, logY) {
    var lo = Infinity, hi = -Infinity;
    vals.forEach(function (v) {
      if (v === null || !isFinite(v) || (logY && v <= 0)) return;
      if (v < lo) lo = v; if (v > hi) hi = v;
    });
    return [lo, hi];
  }

  function pathD(pts, sx, sy) {
    var d = "", pen = false;
    pts.forEach(function (p) {
      if (p[1] === null || !isFinite(p[1])) { pen = false; return; }
      d += (pen ? "L" : "M") + sx(p[0]).toFixed(1) + "," + sy(p[1]).toFixed(1);
      pen = true;
    });
    return d;
  }

  // legend lists the series under the chart as HTML (it wraps on narrow
  // screens instead of running off the SVG): one swatch and name each.
  function legend(svg, f, names, classes) {
    var box = svg.nextElementSibling;
    if (!box || !box.classList || !box.classList.contains("legend-html")) {
      box = document.createElement("div");
      box.className = "legend-html";
      svg.parentNode.insertBefore(box, svg.nextSibling);
    }
    box.innerHTML = "";
    names.forEach(function (n, i) {
      var item = document.createElement("span"), sw = document.createElement("i");
      sw.className = "sw " + classes[i];
      item.appendChild(sw);
      item.appendChild(document.createTextNode(n));
      box.appendChild(item);
    });
  }

  // fit shrinks, then shortens with an ellipsis (the whole text kept as a
  // tooltip), every text of a chart that would run past its viewBox: axis
  // titles, titles and labels stay inside the SVG at any width.
  HL.fit = function (svg) {
    Array.prototype.forEach.call(svg.querySelectorAll("text"), function (t) {
      var len = t.getComputedTextLength ? t.getComputedTextLength() : 0;
      if (!(len > 0)) return;
      var room, x = +t.getAttribute("x") || 0, a = t.getAttribute("text-anchor") || "start";
      var cy = +t.getAttribute("y") || 0;
      if ((t.getAttribute("transform") || "").indexOf("rotate") === 0) room = 2 * Math.min(cy, H - cy) - 8;
      else if (a === "end") room = x - 2;
      else if (a === "middle") room = 2 * Math.min(x, W - x) - 4;
      else room = W - x - 4;
      if (len <= room) return;
      var size = parseFloat(window.getComputedStyle(t).fontSize) || 11;
      var smaller = Math.max(9, size * room / len);
      t.style.fontSize = smaller + "px";
      len = t.getComputedTextLength();
      if (len <= room) return;
      var full = t.textContent;
      el("title", {}, t, full);
      var txt = full;
      while (txt.length > 4 && t.getComputedTextLength() > room) {
        txt = txt.slice(0, Math.floor(txt.length * Math.max(0.5, room / t.getComputedTextLength())) - 1);
        t.firstChild.nodeValue = txt + "…";
      }
    });
  };

  // RANGES are the history charts' range selectors, in days back from the
  // newest point.
  var RANGES = [["1m", 31], ["3m", 92], ["1y", 366], ["all", 0]];

  // historyChart draws a time series chart (o.kind "line" or "bar", with
  // the options of lineChart or barChart) under a bar of controls: the
  // range (1m, 3m, 1y, all: the points within that many days of the
  // newest) and, unless o.noLog, a linear/log switch. o.range and o.logY
  // are the initial choices; the svg carries data-range and data-scale.
  HL.historyChart = function (svg, o) {
    var st = svg._hl && svg._hl.keep ? svg._hl.st : { range: o.range || "all", log: !!o.logY };
    svg._hl = { o: o, st: st, keep: true };
    var bar = svg.previousElementSibling;
    if (!bar || !bar.classList || !bar.classList.contains("chart-controls")) {
      bar = document.createElement("div");
      bar.className = "chart-controls";
      svg.parentNode.insertBefore(bar, svg);
    }
    bar.innerHTML = "";
    function button(label, attr, val, on) {
      var b = document.createElement("button");
      b.type = "button"; b.textContent = label; b.setAttribute(attr, val);
      b.className = on ? "active" : "";
      b.addEventListener("click", function () {
        if (attr === "data-range") st.range = val; else st.log = val === "log";
        HL.historyChart(svg, svg._hl.o);
      });
      bar.appendChild(b);
    }
    RANGES.forEach(function (r) { button(r[0], "data-range", r[0], st.range === r[0]); });
    if (!o.noLog) {
      var sep = document.createElement("span"); sep.className = "sep"; bar.appendChild(sep);
      button("linear", "data-scale", "linear", !st.log);
      button("log", "data-scale", "log", st.log);
    }
    var days = 0;
    RANGES.forEach(function (r) { if (r[0] === st.range) days = r[1]; });
    var newest = -Infinity;
    var xsOf = o.kind === "bar" ? [o.bars] : o.series.map(function (s) { return s.points; });
    xsOf.forEach(function (pts) { pts.forEach(function (p) { if (p[0] > newest) newest = p[0]; }); });
    var cut = days ? newest - days * 864e5 : -Infinity;
    var keep = function (p) { return p[0] >= cut; };
    var oo = {};
    for (var k in o) oo[k] = o[k];
    oo.logY = st.log;
    if (o.yLabel) oo.yLabel = o.yLabel.replace(/ \((log|log scale)\)$/, "") + (st.log ? " (log scale)" : "");
    if (o.kind === "bar") {
      oo.bars = o.bars.filter(keep);
      HL.barChart(svg, oo);
    } else {
      oo.series = o.series.map(function (s) { return { name: s.name, points: s.points.filter(keep), cls: s.cls }; });
      if (o.marker && !(o.marker.x >= cut)) oo.marker = null;
      HL.lineChart(svg, oo);
    }
    svg.setAttribute("data-range", st.range);
    svg.setAttribute("data-scale", st.log ? "log" : "linear");
  };

  // lineChart: o.series = [{name, points: [[x, y], ...]}]; o.marker =
  // {x, y, label} marks one point (e.g. the all-time low).
  HL.lineChart = function (svg, o) {
    var xs = [], ys = [], n = 0;
    o.series.forEach(function (s) { s.points.forEach(function (p) { xs.push(p[0]); ys.push(p[1]); }); });
    var xe = extent(xs, false), ye = extent(ys, o.logY);
    if (!o.logY && o.zeroY !== false) { ye[0] = Math.min(0, ye[0]); }
    if (!o.logY) { var pad = (ye[1] - ye[0]) * 0.05; ye[1] += pad; if (ye[0] < 0) ye[0] -= pad; }
    var f = frame(svg, { xlo: xe[0], xhi: xe[1], ylo: ye[0], yhi: ye[1], logY: o.logY, xTime: o.xTime, xLabel: o.xLabel, yLabel: o.yLabel, title: o.title, yFmt: o.yFmt, xFmt: o.xFmt });
    o.series.forEach(function (s, i) {
      el("path", { d: pathD(s.points, f.sx, f.sy), "class": "series " + (s.cls || "s" + i), "data-name": s.name, "data-n": s.points.length }, svg);
      if (s.points.length <= 60) {
        s.points.forEach(function (p) {
          if (p[1] !== null && isFinite(p[1])) el("circle", { cx: f.sx(p[0]), cy: f.sy(p[1]), r: 2.6, "class": "pt" + i }, svg);
        });
      }
      n += s.points.length;
    });
    if (o.series.length > 1) legend(svg, f, o.series.map(function (s) { return s.name; }), o.series.map(function (s, i) { return s.cls || "s" + i; }));
    else { var lg = svg.nextElementSibling; if (lg && lg.classList && lg.classList.contains("legend-html")) lg.innerHTML = ""; }
    if (o.marker) {
      var mx = f.sx(o.marker.x), my = f.sy(o.marker.y);
      el("circle", { cx: mx, cy: my, r: 5, "class": "marker", "data-marker": "all-time-low" }, svg);
      var anchor = mx > (f.x0 + f.x1) / 2 ? "end" : "start";
      el("text", { x: mx + (anchor === "end" ? -8 : 8), y: my - 10, "text-anchor": anchor, "class": "marker-label" }, svg, o.marker.label);
    }
    svg.setAttribute("data-points", n);
    HL.fit(svg);
    return n;
  };

  // fanChart: quantile bands. o.x = [x...], o.q = {p5, p25, p50, p75, p95}
  // (arrays aligned with x; null where undefined).
  HL.fanChart = function (svg, o) {
    var q = o.q, all = [].concat(q.p5, q.p95, q.p50);
    var xe = extent(o.x, false), ye = extent(all, o.logY);
    if (!o.logY) { var pad = (ye[1] - ye[0]) * 0.06 || Math.abs(ye[1]) * 0.05 || 1; ye[0] -= pad; ye[1] += pad; if (o.zeroY && ye[0] > 0) ye[0] = 0; }
    var f = frame(svg, { xlo: xe[0], xhi: xe[1], ylo: ye[0], yhi: ye[1], logY: o.logY, xTime: o.xTime, xLabel: o.xLabel, yLabel: o.yLabel, title: o.title, yFmt: o.yFmt, xFmt: o.xFmt });
    function band(lo, hi, cls) {
      var top = [], bot = [];
      for (var i = 0; i < o.x.length; i++) {
        if (lo[i] === null || hi[i] === null || !isFinite(lo[i]) || !isFinite(hi[i])) continue;
        top.push(f.sx(o.x[i]).toFixed(1) + "," + f.sy(hi[i]).toFixed(1));
        bot.push(f.sx(o.x[i]).toFixed(1) + "," + f.sy(lo[i]).toFixed(1));
      }
      if (top.length) el("path", { d: "M" + top.join("L") + "L" + bot.reverse().join("L") + "Z", "class": cls }, svg);
    }
    band(q.p5, q.p95, "band-outer");
    band(q.p25, q.p75, "band-inner");
    var med = o.x.map(function (x, i) { return [x, q.p50[i]]; });
    el("path", { d: pathD(med, f.sx, f.sy), "class": "median series", "data-n": med.length }, svg);
    legend(svg, f, ["p5–p95", "p25–p75", "median"], ["band-outer-l", "band-inner-l", "median"]);
    var n = med.filter(function (p) { return p[1] !== null && isFinite(p[1]); }).length;
    svg.setAttribute("data-points", n);
    HL.fit(svg);
    return n;
  };

  // barChart: o.bars = [[x, y], ...] (x numeric or time); bars around 0.
  HL.barChart = function (svg, o) {
    var xs = o.bars.map(function (b) { return b[0]; }), ys = o.bars.map(function (b) { return b[1]; });
    var xe = extent(xs, false), ye = extent(ys, false);
    ye[0] = Math.min(0, ye[0]); ye[1] = Math.max(0, ye[1]);
    var span = (xe[1] - xe[0]) || 1, bw = span / Math.max(1, o.bars.length - 1);
    var f = frame(svg, { xlo: xe[0] - bw / 2, xhi: xe[1] + bw / 2, ylo: ye[0] * 1.08, yhi: ye[1] * 1.08 || 1, xTime: o.xTime, xLabel: o.xLabel, yLabel: o.yLabel, title: o.title, yFmt: o.yFmt, xFmt: o.xFmt });
    var px = Math.max(1, (f.sx(xe[0] + bw) - f.sx(xe[0])) * 0.75);
    o.bars.forEach(function (b) {
      var y = f.sy(b[1]), z = f.sy(0);
      el("rect", { x: f.sx(b[0]) - px / 2, y: Math.min(y, z), width: px, height: Math.max(0.5, Math.abs(z - y)), "class": b[1] < 0 ? "bar-neg" : "bar-pos" }, svg,
        undefined).appendChild(el("title", {}, null, (o.tip ? o.tip(b) : HL.fmt(b[1]))));
    });
    svg.setAttribute("data-points", o.bars.length);
    HL.fit(svg);
    return o.bars.length;
  };
})();
