// hashlab dashboard pages. Each page's <body data-page="..."> picks its
// setup function; everything comes from the JSON API of the same server.
"use strict";
(function () {
  var $ = function (id) { return document.getElementById(id); };
  var fmt = HL.fmt;

  function token() { try { return sessionStorage.getItem("hashlab-token") || ""; } catch (e) { return ""; } }

  // api fetches a JSON endpoint; a non-2xx answer throws the API's error
  // message (which names the field, the value and what is allowed).
  HL.api = function (path, opts) {
    opts = opts || {};
    var headers = opts.headers || {};
    if (token()) headers["Authorization"] = "Bearer " + token();
    opts.headers = headers;
    return fetch(path, opts).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (j) {
        if (!r.ok) throw new Error(j.error || ("HTTP " + r.status));
        return j;
      });
    });
  };
  var api = HL.api;

  function showError(target, err) {
    target.innerHTML = "";
    var p = document.createElement("p");
    p.className = "error";
    p.textContent = String(err.message || err);
    target.appendChild(p);
  }

  function usd(v, d) {
    if (v === null || v === undefined || !isFinite(v)) return "–";
    d = d === undefined ? 2 : d;
    return (v < 0 ? "-$" : "$") + Math.abs(v).toLocaleString("en-US", { minimumFractionDigits: d, maximumFractionDigits: d });
  }
  function pct(v, d) { return (v === null || !isFinite(v)) ? "–" : (100 * v).toFixed(d === undefined ? 1 : d) + "%"; }
  function hs(v) { return fmt(v) + "H/s"; }

  // table renders rows (arrays of cells) under a header; a row's
  // "className" property sets the <tr> class.
  function table(target, head, rows) {
    var t = document.createElement("table"), tr = document.createElement("tr");
    head.forEach(function (h) { var th = document.createElement("th"); th.textContent = h; tr.appendChild(th); });
    var thead = document.createElement("thead"); thead.appendChild(tr); t.appendChild(thead);
    var tb = document.createElement("tbody");
    rows.forEach(function (r) {
      var tr = document.createElement("tr");
      if (r.className) tr.className = r.className;
      r.forEach(function (c) { var td = document.createElement("td"); td.textContent = c; tr.appendChild(td); });
      tb.appendChild(tr);
    });
    t.appendChild(tb);
    target.innerHTML = "";
    target.appendChild(t);
    return t;
  }

  function card(target, label, value, unit, sub) {
    var d = document.createElement("div"); d.className = "card";
    var l = document.createElement("div"); l.className = "label"; l.textContent = label;
    var v = document.createElement("div"); v.className = "value"; v.textContent = value + " ";
    var u = document.createElement("small"); u.textContent = unit; v.appendChild(u);
    d.appendChild(l); d.appendChild(v);
    if (sub) { var s = document.createElement("div"); s.className = "sub"; s.textContent = sub; d.appendChild(s); }
    target.appendChild(d);
  }

  function formValues(form) {
    var p = new URLSearchParams();
    Array.prototype.forEach.call(form.elements, function (e) {
      if (e.name && e.value !== "") p.set(e.name, e.value);
    });
    return p;
  }

  // ------------------------------------------------------------ overview
  // currentValues draws the cards of the state now and its source and
  // age; the overview redraws them every minute (serve refreshes its
  // source on its own interval).
  function currentValues() {
    var kpis = $("kpis");
    return Promise.all([api("/api/v1/hashprice"), api("/api/v1/network/next-adjustment"), api("/api/v1/network/halving")]).then(function (r) {
      var h = r[0], na = r[1], hv = r[2];
      kpis.innerHTML = "";
      card(kpis, "Hashprice", usd(h.usd_per_ph_day), "USD/PH/day", usd(h.usd_per_th_day, 4) + " per TH/s per day");
      card(kpis, "Hashvalue", Math.round(h.sats_per_ph_day).toLocaleString("en-US"), "sats/PH/day", h.btc_per_ph_day.toFixed(8) + " BTC/PH/day");
      card(kpis, "Network hashrate", Math.round(h.network_hashrate_hs / 1e18).toLocaleString("en-US"), "EH/s", "implied by difficulty " + fmt(h.difficulty));
      card(kpis, "BTC price", usd(h.price_usd, 0), "USD", "fees " + pct(h.fee_share) + " of revenue");
      card(kpis, "Security budget", usd(h.security_budget_usd_per_day / 1e6, 2), "M USD/day", "paid to all miners");
      card(kpis, "Next adjustment", (na.expected_change >= 0 ? "+" : "") + (100 * na.expected_change).toFixed(2), "%",
        "90%: " + (100 * na.low_change).toFixed(2) + "% … " + (100 * na.high_change).toFixed(2) + "%, " + na.blocks_remaining + " blocks, ~" + na.expected_date);
      // Epoch progress: blocks done of the retarget interval, with the
      // projected change at its end.
      // blocks_remaining counts up to the next epoch's first block.
      var epochLen = na.blocks_mined + na.blocks_remaining - 1;
      card(kpis, "Epoch progress", na.blocks_mined.toLocaleString("en-US") + " of " + epochLen.toLocaleString("en-US"), "blocks",
        (100 * na.blocks_mined / epochLen).toFixed(1) + "% done since height " + na.epoch_start_height.toLocaleString("en-US") +
        "; projected change " + (na.expected_change >= 0 ? "+" : "") + (100 * na.expected_change).toFixed(2) + "%");
      var bar = document.createElement("progress"); bar.id = "epoch-progress"; bar.max = epochLen; bar.value = na.blocks_mined;
      kpis.lastChild.appendChild(bar);
      card(kpis, "Next halving", hv.next_halving_height.toLocaleString("en-US"), "height",
        (hv.expected_date ? "~" + hv.expected_date + ", " : "") + "hashprice → " + usd(hv.hashprice_after_usd_per_ph_day) + "/PH/day");
      var age = h.age_seconds >= 172800 ? Math.floor(h.age_seconds / 86400) + " days" : h.age_seconds >= 3600 ? Math.floor(h.age_seconds / 3600) + " h" : Math.floor(h.age_seconds / 60) + " min";
      $("source").textContent = "Source: " + (h.source_detail || h.source) + " (as of " + h.as_of + ", " + age + " old)" + (h.price_source ? "; BTC price: " + h.price_source : "") + ", bits " + h.bits + ".";
    }).catch(function (e) { showError(kpis, e); });
  }

  // minersFlow draws miners' reserves (GET /api/v1/history/miners): the
  // balance still unspent and the cumulative outflow of all pools, per day.
  function minersFlow() {
    var note = $("minerflow-note");
    api("/api/v1/history/miners").then(function (m) {
      var bal = [], out = [], cum = 0, last = null;
      m.total.days.forEach(function (d) {
        var t = Date.parse(d.date + "T00:00:00Z");
        cum += d.outflow_sats / 1e8;
        bal.push([t, d.balance_sats / 1e8]);
        out.push([t, cum]);
        last = d;
      });
      HL.historyChart($("minerflow-chart"), { series: [{ name: "balance still unspent", points: bal }, { name: "cumulative outflow", points: out }], xTime: true, xLabel: "date (UTC)", yLabel: "BTC", title: "Miners' reserves from coinbase outputs and pools' payout addresses (all pools)" });
      var mpi = last && last.mpi != null ? "; MPI " + last.mpi.toFixed(2) : "; MPI n/a (needs 365 priced days)";
      note.textContent = "Blocks " + m.tracked_from_height + "–" + m.tip_height + ", " + m.pools.length + " pools" + mpi + ". Outflow is not selling: coins are followed one hop, to pools' listed payout addresses only (hashlab history miners --labels names exchange addresses).";
    }).catch(function (e) {
      $("minerflow-chart").style.display = "none";
      note.textContent = "Miners' reserves: " + (e && e.message ? e.message : e) + " (serve --db a database ingested with --miner-flow).";
    });
  }

  // dailyRevenue draws, when the server reads a chain store, the daily
  // hashprice with its trailing 7- and 30-day means (the Hashrate Index's
  // convention, computed by the server) and the fee share of miner
  // revenue per day; without one the panel says why and hides.
  function dailyRevenue() {
    var note = $("daily-note");
    api("/api/v1/hashprice/history?every=day").then(function (h) {
      var t = function (p) { return Date.parse(p.time); };
      var usd = h.points.some(function (p) { return p.usd_per_ph_day != null; });
      var v = function (p) { return usd ? p.usd_per_ph_day : p.btc_per_ph_day; };
      var series = [{ name: usd ? "hashprice, daily" : "hashvalue, daily", points: h.points.map(function (p) { return [t(p), v(p)]; }), cls: "s11" }];
      if (usd) {
        series.push({ name: "7-day mean", points: h.points.map(function (p) { return [t(p), p.ma7_usd_per_ph_day]; }), cls: "s0" });
        series.push({ name: "30-day mean", points: h.points.map(function (p) { return [t(p), p.ma30_usd_per_ph_day]; }), cls: "s1" });
      }
      HL.historyChart($("daily-chart"), { series: series, xTime: true, range: "1y", xLabel: "date (UTC)", yLabel: usd ? "USD/PH/day" : "BTC/PH/day", title: usd ? "Hashprice per day with 7- and 30-day moving averages" : "Hashvalue per day (no prices stored)" });
      note.textContent = h.points.length + " days from " + h.source + (h.note ? "; " + h.note : "") + ". Moving averages are trailing simple means of the daily values, null until 7 (30) consecutive priced days.";
    }).catch(function (e) {
      $("daily-panel").style.display = "none";
      note.textContent = "";
    });
    api("/api/v1/history/fee-share").then(function (f) {
      var t = function (d) { return Date.parse(d.date + "T00:00:00Z"); };
      var pc = function (v) { return v == null ? null : 100 * v; };
      HL.historyChart($("feeshare-chart"), {
        series: [{ name: "fee share, daily", points: f.days.map(function (d) { return [t(d), pc(d.fee_share)]; }), cls: "s11" },
          { name: "7-day mean", points: f.days.map(function (d) { return [t(d), pc(d.ma7_fee_share)]; }), cls: "s0" },
          { name: "30-day mean", points: f.days.map(function (d) { return [t(d), pc(d.ma30_fee_share)]; }), cls: "s1" }],
        xTime: true, range: "1y", xLabel: "date (UTC)", yLabel: "fees, % of miner revenue", title: "Fee share of miner revenue: fees / (subsidy + fees)",
        yFmt: function (v) { return fmt(v) + "%"; }
      });
      $("feeshare-note").textContent = f.known_days + " of " + f.days.length + " days with every block's fees known; " + f.note + ".";
    }).catch(function (e) {
      $("feeshare-panel").style.display = "none";
    });
  }

  function overview() {
    currentValues();
    setInterval(currentValues, 60000);

    api("/api/v1/hashprice/history").then(function (h) {
      var usdMode = h.all_time_low_unit === "USD/PH/day";
      // In USD, the unpriced points (null USD) are left out of the line
      // and counted in the note.
      var pts = h.points.filter(function (p) { return !usdMode || p.usd_per_ph_day != null; })
        .map(function (p) { return [Date.parse(p.time), usdMode ? p.usd_per_ph_day : p.btc_per_ph_day]; });
      var low = h.all_time_low;
      var lowV = usdMode ? low.usd_per_ph_day : low.btc_per_ph_day;
      HL.historyChart($("history-chart"), {
        series: [{ name: usdMode ? "hashprice" : "hashvalue", points: pts }], xTime: true, logY: true,
        xLabel: "date (UTC) — one point per " + h.every, yLabel: h.all_time_low_unit,
        title: (usdMode ? "Hashprice" : "Hashvalue") + " history",
        marker: { x: Date.parse(low.time), y: lowV, label: "all-time low " + fmt(lowV) + " " + h.all_time_low_unit + " (" + low.time.slice(0, 10) + ")" }
      });
      $("history-note").textContent = (h.note ? h.note + ". " : "") + h.points.length + " points; all-time low at height " + low.height.toLocaleString("en-US") + ".";
      var hr = h.points.filter(function (p) { return p.hashrate_hs > 0; }).map(function (p) { return [Date.parse(p.time), p.hashrate_hs / 1e18]; });
      HL.historyChart($("hashrate-chart"), { series: [{ name: "hashrate", points: hr }], xTime: true, logY: true, xLabel: "date (UTC)", yLabel: "hashrate, EH/s", title: "Network hashrate per epoch" });
    }).catch(function (e) { showError($("history-note"), e); });

    api("/api/v1/network/adjustments?from=2020-01-01").then(function (a) {
      HL.historyChart($("adjust-chart"), {
        kind: "bar", noLog: true,
        bars: a.adjustments.map(function (x) { return [Date.parse(x.time), x.change_pct]; }), xTime: true,
        xLabel: "date of the retarget (UTC)", yLabel: "difficulty change, %", title: "Difficulty adjustments since 2020",
        yFmt: function (v) { return v.toFixed(0) + "%"; },
        tip: function (b) { return new Date(b[0]).toISOString().slice(0, 10) + ": " + b[1].toFixed(2) + "%"; }
      });
      var d = a.largest_drop;
      if (d) $("adjust-note").textContent = a.count + " retargets shown; largest drop " + d.change_pct.toFixed(2) + "% at height " + d.height.toLocaleString("en-US") + " (" + d.time.slice(0, 10) + ").";
    }).catch(function (e) { showError($("adjust-note"), e); });
    minersFlow();
    dailyRevenue();

    var form = $("miners-form");
    function loadMiners() {
      api("/api/v1/miners?" + formValues(form)).then(function (m) {
        var rows = m.models.map(function (x) {
          var e = x.economics, s = x.spec;
          var r = [s.model, s.release_year, s.hashrate_ths + " TH/s", s.power_w + " W", e.joules_per_th.toFixed(1) + " J/TH",
            usd(e.revenue_usd_per_day), usd(e.power_cost_usd_per_day), usd(e.profit_usd_per_day), pct(e.margin),
            "$" + e.breakeven_power_usd_per_kwh.toFixed(4) + "/kWh", e.run ? "run" : "curtail"];
          if (!e.run) r.className = "curtail";
          return r;
        });
        table($("miners-table"), ["Model", "Year", "Hashrate", "Power", "Efficiency", "Revenue/day", "Power/day", "Profit/day", "Margin", "Breakeven power", "Decision"], rows);
        $("miners-note").textContent = "At hashprice " + usd(m.hashprice_usd_per_ph_day) + "/PH/day, power $" + m.conditions.power_usd_per_kwh + "/kWh, pool fee " + pct(m.conditions.pool_fee) + ", uptime " + pct(m.conditions.uptime, 0) + ".";
      }).catch(function (e) { showError($("miners-table"), e); });
    }
    form.addEventListener("submit", function (ev) { ev.preventDefault(); loadMiners(); });
    loadMiners();
  }

  // ------------------------------------------------------- fleet & pivot
  function fleetPage() {
    $("fleet-go").addEventListener("click", function () {
      var out = $("fleet-result");
      api("/api/v1/fleet", { method: "POST", headers: { "Content-Type": "application/yaml" }, body: $("fleet-yaml").value }).then(function (f) {
        var rows = f.groups.map(function (g) {
          var r = [g.model, g.count, fmt(g.hashrate_ths / 1000) + " PH/s", (g.power_w / 1e6).toFixed(3) + " MW", g.joules_per_th.toFixed(1) + " J/TH",
            usd(g.revenue_usd_per_day), usd(g.power_cost_usd_per_day), usd(g.profit_usd_per_day), "$" + g.breakeven_power_usd_per_kwh.toFixed(4) + "/kWh", g.run ? "run" : "curtail"];
          if (!g.run) r.className = "curtail";
          return r;
        });
        var t = f.running;
        rows.push(["Running total", t.count, fmt(t.hashrate_ths / 1000) + " PH/s", (t.power_w / 1e6).toFixed(3) + " MW", t.joules_per_th.toFixed(1) + " J/TH", usd(t.revenue_usd_per_day), usd(t.power_cost_usd_per_day), usd(t.profit_usd_per_day), "", ""]);
        out.innerHTML = "";
        var div = document.createElement("div");
        table(div, ["Model", "Count", "Hashrate", "Power", "Efficiency", "Revenue/day", "Power/day", "Profit/day", "Breakeven", "Decision"], rows);
        out.appendChild(div);
        var p = document.createElement("p");
        p.className = "big";
        p.id = "fleet-net";
        p.textContent = "Net after curtailment and fixed costs: " + usd(f.net_usd_per_day) + "/day (" + usd(f.net_usd_per_day * 30.4375, 0) + "/month). " +
          (f.runway_infinite ? "Treasury " + f.treasury_btc + " BTC is not drawn down." : "Treasury " + f.treasury_btc + " BTC lasts " + f.runway_days.toFixed(0) + " days.");
        out.appendChild(p);
      }).catch(function (e) { showError(out, e); });
    });
    $("pivot-go").addEventListener("click", function () {
      var out = $("pivot-result");
      var q = formValues($("pivot-form"));
      api("/api/v1/pivot?" + q, { method: "POST", headers: { "Content-Type": "application/yaml" }, body: $("pivot-yaml").value }).then(function (p) {
        var rows = p.options.map(function (o) {
          return [o.name, o.revenue_usd_per_kwh ? "$" + o.revenue_usd_per_kwh.toFixed(4) + "/kWh" : "–", o.revenue_ratio_to_mining ? o.revenue_ratio_to_mining.toFixed(2) + "×" : "–",
            usd(o.capex_usd / 1e6, 1) + "M", usd(o.npv_usd / 1e6, 1) + "M", o.irr === null || o.irr === undefined ? "–" : pct(o.irr),
            o.payback_years === null || o.payback_years === undefined ? "–" : o.payback_years.toFixed(1) + " y",
            o.switch_hashprice_usd_per_ph_day != null ? "$" + o.switch_hashprice_usd_per_ph_day.toFixed(1) + "/PH/day" : (o.mining_wins_at_any_hashprice ? "mining wins at any" : (o.name === "keep mining" ? "–" : "never"))];
        });
        out.innerHTML = "";
        var div = document.createElement("div");
        table(div, ["Option", "Revenue", "× mining", "Capex", "NPV", "IRR", "Payback", "Switch hashprice"], rows);
        out.appendChild(div);
        var b = document.createElement("p"); b.className = "big"; b.id = "pivot-best";
        b.textContent = "Best by NPV: " + p.best_by_npv + (p.monte_carlo ? "; P(converting beats mining) = " + pct(p.monte_carlo.prob_convert_beats_mining) : "");
        out.appendChild(b);
        HL.barChart($("pivot-chart"), {
          bars: p.options.map(function (o, i) { return [i + 1, o.npv_usd / 1e6]; }),
          xLabel: "option: " + p.options.map(function (o, i) { return (i + 1) + " " + o.name; }).join(" · "),
          yLabel: "NPV, million USD", title: "NPV by option (" + p.hashprice_path + " hashprice path from " + usd(p.hashprice_usd_per_ph_day) + "/PH/day)",
          xFmt: function (v) { return Number.isInteger(v) ? String(v) : ""; },
          tip: function (b) { return p.options[b[0] - 1].name + ": " + usd(b[1], 1) + "M"; }
        });
      }).catch(function (e) { showError(out, e); });
    });
  }

  // ------------------------------------------------------------ security
  function securityPage() {
    var cf = $("conf-form");
    function confirmations() {
      var q = formValues(cf);
      api("/api/v1/security/confirmations?" + q).then(function (c) {
        $("conf-result").textContent = c.z + " confirmations (about " + c.expected_wait_minutes + " minutes) keep the risk at " + c.p.toExponential(2) + " < " + c.risk + " against an attacker with " + pct(c.q) + " of the hashrate (" + c.method + ").";
        $("conf-z").textContent = c.z;
      }).catch(function (e) { showError($("conf-result"), e); });
      var qq = new URLSearchParams({ q: q.get("q") || "0.1", method: q.get("method") || "exact", z: "0-30" });
      api("/api/v1/security/double-spend?" + qq).then(function (d) {
        HL.lineChart($("ds-chart"), {
          series: [{ name: "P", points: d.entries.filter(function (e) { return e.p > 0; }).map(function (e) { return [e.z, e.p]; }) }], logY: true,
          xLabel: "confirmations z (blocks)", yLabel: "attacker success probability (log)", title: "Double-spend risk at q = " + d.q + " (" + d.method + ")"
        });
      }).catch(function (e) { showError($("conf-result"), e); });
    }
    cf.addEventListener("submit", function (ev) { ev.preventDefault(); confirmations(); });
    confirmations();

    var af = $("attack-form");
    function attack() {
      var q = formValues(af);
      api("/api/v1/security/attack-cost?" + q).then(function (a) {
        var c0 = a.results[0];
        var rows = c0.sources.map(function (s) {
          return [s.source, s.feasible ? "yes" : "no (short " + fmt(s.shortfall_hs / 1e18) + " EH/s)", usd(s.capex_usd / 1e6, 1) + "M", usd(s.per_hour_usd / 1e6, 2) + "M", s.deploy_days + " days"];
        });
        table($("attack-sources"), ["Source", "Feasible", "Capex", "Per hour", "Deploy"], rows);
        table($("attack-table"), ["Depth z", "Duration", "Cheapest", "Attack cost", "Largest safe payment"], a.results.map(function (c) {
          return [c.z + " blocks", c.duration_hours.toFixed(1) + " h", c.cheapest_source, usd(c.cheapest_usd / 1e6, 1) + "M", c.max_safe_value_usd === null ? "n/a (no finite bound)" : usd(c.max_safe_value_usd / 1e6, 1) + "M"];
        }));
        $("attack-note").textContent = "Honest hashrate " + fmt(c0.honest_hs / 1e18) + " EH/s; the attacker needs " + fmt(c0.attacker_hs / 1e18) + " EH/s.";
      }).catch(function (e) { showError($("attack-table"), e); });
      // Cost of a 6-block attack as hashrate leaves: one call per exodus level.
      var levels = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8];
      Promise.all(levels.map(function (x) {
        var p = new URLSearchParams(q); p.set("exodus", x); p.set("z", "6");
        return api("/api/v1/security/attack-cost?" + p);
      })).then(function (rs) {
        HL.lineChart($("attack-chart"), {
          series: [{ name: "6-block attack", points: rs.map(function (r, i) { return [100 * levels[i], r.results[0].cheapest_usd / 1e6]; }) }],
          xLabel: "hashrate that left for AI, %", yLabel: "6-block attack, million USD", title: "Cost of the cheapest 6-block attack as hashrate leaves",
          xFmt: function (v) { return v.toFixed(0) + "%"; }
        });
      }).catch(function (e) { showError($("attack-note"), e); });
    }
    af.addEventListener("submit", function (ev) { ev.preventDefault(); attack(); });
    attack();

    var kf = $("conc-form");
    function concentration() {
      api("/api/v1/security/concentration?" + formValues(kf)).then(function (r) {
        table($("conc-table"), ["Measure", "Value"], [
          ["Entities", r.entities], ["HHI (0–10,000)", r.hhi_10000.toFixed(0)],
          ["Nakamoto coefficient (>50%)", r.nakamoto_coefficient_50 + " entities"], ["Nakamoto coefficient (>33%)", r.nakamoto_coefficient_33 + " entities"],
          ["Top 1 / 2 / 3 share", pct(r.top1_share) + " / " + pct(r.top2_share) + " / " + pct(r.top3_share)],
          ["P(top 2 mine >50% of a day's 144 blocks)", r.prob_top2_majority_144_blocks.toPrecision(3)],
          ["P(top 3 mine >33% of a day's 144 blocks)", r.prob_top3_over_33pct_144_blocks.toPrecision(3)],
          ["P(largest mines 6 in a row within a day)", r.prob_top1_6_in_a_row_144_blocks.toPrecision(3)],
          ["Censored tx delay, largest censors", (r.censorship_delay_top1.mean_sec / 60).toFixed(1) + " min mean, " + (r.censorship_delay_top1.p99_sec / 60).toFixed(1) + " min p99"],
          ["Censored tx delay, top 3 censor", (r.censorship_delay_top3.mean_sec / 60).toFixed(1) + " min mean, " + (r.censorship_delay_top3.p99_sec / 60).toFixed(1) + " min p99"]
        ]);
        // Unknown and "other" blocks are reported apart (left out of the
        // Nakamoto coefficient); they are drawn last, marked.
        var all = r.shares.concat((r.unattributed || []).map(function (s) { return { name: s.name + " (unattributed)", share: s.share }; }));
        HL.barChart($("conc-chart"), {
          bars: all.map(function (s, i) { return [i + 1, 100 * s.share]; }), xLabel: "entity, largest first (numbered below)",
          yLabel: "share of hashrate, %", title: "Shares", xFmt: function (v) { return Number.isInteger(v) ? String(v) : ""; },
          tip: function (b) { return all[b[0] - 1].name + ": " + b[1].toFixed(1) + "%"; }
        });
        var ol = $("conc-legend");
        ol.innerHTML = "";
        all.forEach(function (s) { var li = document.createElement("li"); li.textContent = s.name + " " + pct(s.share); ol.appendChild(li); });
      }).catch(function (e) { showError($("conc-table"), e); });
    }
    kf.addEventListener("submit", function (ev) { ev.preventDefault(); concentration(); });
    api("/api/v1/pools?window=30d").then(function (p) {
      $("conc-shares").value = p.concentration.shares.map(function (s) { return s.name + "=" + s.share.toFixed(4); }).join(",");
      $("conc-source").textContent = "Shares of the last 30 days' " + p.blocks + " blocks from " + p.source + ".";
    }).catch(function () {
      $("conc-source").textContent = "No chain store: example shares (edit them). Serve with --db to load the last 30 days' pool shares.";
    }).then(concentration);
  }

  // ----------------------------------------------------------- simulator
  function simPage() {
    var sel = $("sim-scenario"), status = $("sim-status");
    api("/api/v1/sim/scenarios").then(function (list) {
      sel.innerHTML = "";
      list.forEach(function (s) {
        var o = document.createElement("option"); o.value = s.name; o.textContent = s.name; o.title = s.description; sel.appendChild(o);
      });
      $("sim-go").disabled = false;
    }).catch(function (e) { showError(status, e); });
    var current = null, timer = null;
    function poll() {
      api("/api/v1/sim/jobs/" + current).then(function (j) {
        $("sim-progress").value = j.progress || 0;
        status.textContent = j.state + ": " + j.paths_done + " of " + j.paths_total + " paths";
        if (j.state === "done") { stop(); render(j.output); status.textContent = "done: " + j.paths_total + " paths"; }
        else if (j.state === "failed" || j.state === "cancelled") { stop(); status.textContent = j.state + (j.error ? ": " + j.error : ""); }
      }).catch(function (e) { stop(); showError(status, e); });
    }
    function stop() { clearInterval(timer); timer = null; $("sim-cancel").disabled = true; $("sim-go").disabled = false; }
    $("sim-form").addEventListener("submit", function (ev) {
      ev.preventDefault();
      var f = formValues($("sim-form")), inline = $("sim-inline").value.trim(), body, ctype = "application/json";
      if (inline) {
        // The pasted file goes under scenario_file: (YAML; JSON is YAML too).
        body = "scenario_file:\n" + inline.split("\n").map(function (l) { return "  " + l; }).join("\n") +
          "\npaths: " + (+f.get("paths")) + "\nyears: " + (+f.get("years")) + "\nseed: " + (+f.get("seed")) + "\n";
        ctype = "application/yaml";
      } else {
        body = JSON.stringify({ scenario: f.get("scenario"), paths: +f.get("paths"), years: +f.get("years"), seed: +f.get("seed") });
      }
      api("/api/v1/sim/jobs", { method: "POST", headers: { "Content-Type": ctype }, body: body }).then(function (j) {
        current = j.id; $("sim-go").disabled = true; $("sim-cancel").disabled = false;
        status.textContent = j.state;
        timer = setInterval(poll, 400);
      }).catch(function (e) { showError(status, e); });
    });
    $("sim-cancel").addEventListener("click", function () {
      if (current) api("/api/v1/sim/jobs/" + current, { method: "DELETE" }).then(poll);
    });
    function render(out) {
      var box = $("sim-charts");
      box.innerHTML = "";
      box.className = "grid2";
      out.series.forEach(function (s) {
        var div = document.createElement("div"); div.className = "panel";
        var svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
        svg.setAttribute("class", "chart fan"); svg.setAttribute("data-series", s.name);
        div.appendChild(svg); box.appendChild(div);
        var t0 = Date.parse(s.start);
        HL.fanChart(svg, {
          x: s.days.map(function (d) { return t0 + d * 864e5; }), xTime: true, q: s, logY: s.log === true,
          xLabel: "simulated date (UTC)", yLabel: s.unit, title: s.title || s.name
        });
      });
      var ep = (out.result && out.result.epochs) || [];
      if (ep.length > 1) {
        var div = document.createElement("div"); div.className = "panel";
        var svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
        svg.setAttribute("class", "chart fan"); svg.setAttribute("data-series", "epoch_change_pct");
        div.appendChild(svg); box.appendChild(div);
        var qs = { p5: [], p25: [], p50: [], p75: [], p95: [] };
        ep.forEach(function (e) { ["p5", "p25", "p50", "p75", "p95"].forEach(function (k) { qs[k].push(e.change_pct[k]); }); });
        HL.fanChart(svg, {
          x: ep.map(function (e) { return e.index; }), q: qs, xLabel: "retarget number after the start", yLabel: "difficulty change, %",
          title: "Difficulty adjustments by epoch", xFmt: function (v) { return Number.isInteger(v) ? String(v) : ""; }
        });
      }
      if (out.summary) {
        var keys = Object.keys(out.summary).sort();
        table($("sim-summary"), ["Summary (median over paths)", "Value"], keys.map(function (k) { return [k, fmt(out.summary[k], 4)]; }));
      }
    }
  }

  // --------------------------------------------------------------- pools
  // poolsPage draws GET /api/v1/pools/history: each top pool's share per
  // week or month (display names), the largest pool's share, HHI and the
  // Nakamoto coefficients, and the last 30 days' shares.
  function poolsPage() {
    var form = $("pools-form"), note = $("pools-note");
    function load() {
      var q = formValues(form);
      api("/api/v1/pools/history?" + q).then(function (h) {
        var t = h.periods.map(function (p) { return Date.parse(p.start + "T00:00:00Z"); });
        var per = h.every === "month" ? "month" : "ISO week";
        HL.historyChart($("pools-shares-chart"), {
          series: h.series.map(function (slug, i) { return { name: h.series_names[i], points: h.periods.map(function (p, j) { return [t[j], 100 * p.shares[i]]; }), cls: slug === "other" ? "s10" : slug === "unknown" ? "s11" : "s" + Math.min(i, 9) }; }),
          xTime: true, xLabel: "start of the " + per + " (UTC)", yLabel: "share of the period's blocks, %", title: "Pool shares per " + per,
          yFmt: function (v) { return fmt(v) + "%"; }
        });
        HL.historyChart($("pools-dominance-chart"), {
          series: [{ name: "largest pool", points: h.periods.map(function (p, j) { return [t[j], 100 * p.largest_share]; }) }],
          xTime: true, xLabel: "start of the " + per + " (UTC)", yLabel: "largest pool's share, %", title: "Dominance of the largest pool",
          yFmt: function (v) { return fmt(v) + "%"; }
        });
        HL.historyChart($("pools-hhi-chart"), {
          series: [{ name: "HHI", points: h.periods.map(function (p, j) { return [t[j], p.hhi_10000]; }) }],
          xTime: true, xLabel: "start of the " + per + " (UTC)", yLabel: "HHI (0–10,000)", title: "Herfindahl-Hirschman index of pool shares"
        });
        HL.historyChart($("pools-nakamoto-chart"), {
          series: [{ name: "pools for > 50%", points: h.periods.map(function (p, j) { return [t[j], p.nakamoto_coefficient_50]; }) },
            { name: "pools for > 33%", points: h.periods.map(function (p, j) { return [t[j], p.nakamoto_coefficient_33]; }) }],
          xTime: true, xLabel: "start of the " + per + " (UTC)", yLabel: "pools", title: "Nakamoto coefficient"
        });
        table($("pools-table"), ["Pool", "Slug", "Blocks", "Share of all stored blocks"], h.pools.map(function (p) {
          return [p.name, p.slug, p.blocks.toLocaleString("en-US"), pct(p.share, 2)];
        }));
        var last = h.periods[h.periods.length - 1];
        note.textContent = h.blocks.toLocaleString("en-US") + " blocks " + h.from_height.toLocaleString("en-US") + "–" + h.to_height.toLocaleString("en-US") + " from " + h.source +
          ", " + h.periods.length + " periods; latest (" + last.start + (last.complete ? "" : ", partial") + "): " + last.largest_name + " " + pct(last.largest_share) +
          ", HHI " + last.hhi_10000.toFixed(0) + ", Nakamoto coefficient " + last.nakamoto_coefficient_50 + ". Unattributed blocks are left out of HHI and the Nakamoto coefficient.";
      }).catch(function (e) { showError(note, e); });
    }
    form.addEventListener("submit", function (ev) { ev.preventDefault(); load(); });
    load();
    $("luck-form").addEventListener("submit", function (ev) {
      ev.preventDefault();
      var q = formValues($("luck-form"));
      api("/api/v1/pool/luck?" + q, { method: "POST", headers: { "Content-Type": "text/csv" }, body: $("luck-csv").value }).then(function (l) {
        var num = function (v, d) { return v == null ? "–" : v.toFixed(d); };
        var rows = l.periods.concat([l.total]).map(function (p, i) {
          return [i === l.periods.length ? "all days" : p.period, p.from + " … " + p.to, p.blocks.toLocaleString("en-US"), num(p.expected_blocks, 1), num(p.luck, 3),
            num(p.lower, 3) + " – " + num(p.upper, 3), num(p.band_lower, 3) + " – " + num(p.band_upper, 3), p.p_value == null ? "–" : p.p_value.toPrecision(3)];
        });
        table($("luck-table"), ["Period", "Days", "Blocks", "Expected", "Luck", "Interval (" + pct(l.total.confidence, 0) + ")", "Band at luck 1", "p-value"], rows);
        var t = function (p) { return Date.parse(p.from + "T00:00:00Z"); };
        $("luck-panel").hidden = false;
        HL.historyChart($("luck-chart"), {
          series: [{ name: "luck", points: l.periods.map(function (p) { return [t(p), p.luck]; }) },
            { name: "interval, low", points: l.periods.map(function (p) { return [t(p), p.lower]; }), cls: "s10" },
            { name: "interval, high", points: l.periods.map(function (p) { return [t(p), p.upper]; }), cls: "s11" }],
          xTime: true, xLabel: "start of the period (UTC)", yLabel: "luck (blocks / expected)", title: "Luck of " + l.pool + " per " + l.every
        });
        $("luck-note").textContent = "Blocks from " + l.blocks_source + ". Luck over all days " + num(l.total.luck, 3) + " (" + l.total.blocks + " blocks, " + num(l.total.expected_blocks, 1) + " expected). " + l.definition + ".";
      }).catch(function (e) { showError($("luck-table"), e); });
    });
    api("/api/v1/pools?window=30d").then(function (p) {
      if (p.pools) {
        table($("pools-window"), ["Pool (last 30 days)", "Slug", "Blocks", "Share"], p.pools.map(function (s) { return [s.name, s.slug, s.blocks.toLocaleString("en-US"), pct(s.share, 1)]; }));
        return;
      }
      var c = p.concentration;
      var all = c.shares.concat(c.unattributed || []);
      table($("pools-window"), ["Pool (last 30 days)", "Share"], all.map(function (s) { return [s.name, pct(s.share, 1)]; }));
    }).catch(function () { });
  }

  // --------------------------------------------------------------- hedge
  // hedgePage posts the form to POST /api/v1/hedge and shows the fair
  // forward, the hedge ratio and the quantiles of the margins.
  function hedgePage() {
    var form = $("hedge-form"), out = $("hedge-result"), status = $("hedge-status");
    // The shipped scenarios; a server without the simulator's job routes
    // still values the default one.
    api("/api/v1/sim/scenarios").catch(function () { return [{ name: "baseline", description: "the default scenario" }]; }).then(function (list) {
      var sel = $("hedge-scenario");
      sel.innerHTML = "";
      list.forEach(function (s) {
        var o = document.createElement("option"); o.value = s.name; o.textContent = s.name; o.title = s.description;
        if (s.name === "baseline") o.selected = true;
        sel.appendChild(o);
      });
      $("hedge-go").disabled = false;
    }).catch(function (e) { showError(status, e); });
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var f = formValues(form), body = {};
      ["term_months", "paths", "seed"].forEach(function (k) { if (f.has(k)) body[k] = parseInt(f.get(k), 10); });
      ["strike", "hedge_ratio", "power_price", "efficiency", "cost"].forEach(function (k) { if (f.has(k)) body[k] = parseFloat(f.get(k)); });
      if (f.has("scenario")) body.scenario = f.get("scenario");
      body.curtail = $("hedge-curtail").checked;
      status.textContent = "valuing over " + (body.paths || "the default") + " simulated paths…";
      $("hedge-go").disabled = true;
      api("/api/v1/hedge", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) }).then(function (h) {
        status.textContent = "";
        var k = $("hedge-kpis");
        k.innerHTML = "";
        card(k, "Fair forward", usd(h.fair_forward_usd_per_ph_day), "USD/PH/day", "± " + usd(h.fair_forward_stderr_usd_per_ph_day) + " (Monte Carlo s.e.), " + h.term_months + " months from " + h.start_date);
        card(k, "Strike", usd(h.strike_usd_per_ph_day), "USD/PH/day", "cost " + usd(h.cost_usd_per_ph_day) + "/PH/day" + (h.curtail ? ", curtailing below it" : ""));
        card(k, "Hedge ratio", h.hedge_ratio == null ? "–" : h.hedge_ratio.toFixed(3), "of production", "minimum-variance ratio " + (h.min_variance_hedge_ratio == null ? "n/a" : h.min_variance_hedge_ratio.toFixed(3)));
        card(k, "Variance removed", pct(h.variance_reduction), "", "P(loss) " + pct(h.prob_loss_unhedged) + " unhedged → " + pct(h.prob_loss_hedged) + " hedged");
        card(k, "BTC forward", h.btc.fair_forward_sats_per_ph_day == null ? "–" : Math.round(h.btc.fair_forward_sats_per_ph_day).toLocaleString("en-US"), "sats/PH/day", (h.btc.term_btc_per_ph == null ? "" : h.btc.term_btc_per_ph.toFixed(5) + " BTC per PH/s over the term"));
        var row = function (label, q) { return [label, usd(q.p5), usd(q.p25), usd(q.p50), usd(q.p75), usd(q.p95), usd(q.mean)]; };
        var t = table($("hedge-quantiles"), ["USD per PH/s per day (term average)", "p5", "p25", "median", "p75", "p95", "mean"], [
          row("realised hashprice", h.realised_usd_per_ph_day),
          row("swap value to the seller", h.swap_value_usd_per_ph_day),
          row("margin, unhedged", h.unhedged_margin_usd_per_ph_day),
          row("margin, hedged (USD forward)", h.hedged_margin_usd_per_ph_day),
          row("margin, hedged (BTC forward)", h.btc.hedged_margin_usd_per_ph_day)
        ]);
        t.className = "quantiles";
        $("hedge-note").textContent = h.paths + " paths of scenario " + h.scenario + " (seed " + h.seed + ", " + h.term_days + " days); margin standard deviation " + usd(h.unhedged_margin_stddev_usd_per_ph_day) + " unhedged, " + usd(h.hedged_margin_stddev_usd_per_ph_day) + " hedged.";
      }).catch(function (e) { status.textContent = ""; showError(out.querySelector("#hedge-quantiles"), e); }).then(function () { $("hedge-go").disabled = false; });
    });
  }

  function setupToken() {
    var t = $("token");
    if (!t) return;
    t.value = token();
    t.addEventListener("change", function () { try { sessionStorage.setItem("hashlab-token", t.value); } catch (e) { } });
  }

  document.addEventListener("DOMContentLoaded", function () {
    setupToken();
    var page = document.body.getAttribute("data-page");
    var nav = document.querySelector('nav a[data-page="' + page + '"]');
    if (nav) nav.className = "active";
    ({ overview: overview, fleet: fleetPage, security: securityPage, simulator: simPage, pools: poolsPage, hedge: hedgePage })[page]();
  });
})();
