/// The page's inline style sheet and its one script (sorting a table by a column's header).
enum HTMLStyle {
    static let css = """
        :root { --ink:#1f2937; --muted:#6b7280; --line:#e5e7eb; --paper:#ffffff; --bg:#f3f4f6;
          --good:#15803d; --good-bg:#dcfce7; --bad:#b91c1c; --bad-bg:#fee2e2; --warn:#b45309; --warn-bg:#fef3c7;
          --unk:#6b7280; --unk-bg:#f3f4f6; --client:#2563eb; --server:#059669; --drop:#dc2626;
          --rtx:#d97706; --icmp:#7c3aed; --nat:#db2777; }
        * { box-sizing: border-box; }
        body { margin:0; font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif; color:var(--ink); background:var(--bg); }
        header { background:#111827; color:#f9fafb; padding:20px 32px 18px; }
        header .brand { font:600 13px/1 ui-monospace,"DejaVu Sans Mono",monospace; letter-spacing:.12em; text-transform:uppercase; color:#93c5fd; }
        header h1 { margin:6px 0 4px; font-size:26px; font-weight:650; }
        header p { margin:2px 0; color:#d1d5db; }
        header code { color:#f9fafb; }
        .chips { margin-top:12px; display:flex; flex-wrap:wrap; gap:8px; }
        .chip { display:inline-block; padding:3px 12px; border-radius:999px; font-size:13px; font-weight:600; text-decoration:none; }
        .chip.bad { background:var(--bad-bg); color:var(--bad); } .chip.good { background:var(--good-bg); color:var(--good); }
        .chip.warn { background:var(--warn-bg); color:var(--warn); } .chip.neutral { background:#374151; color:#e5e7eb; }
        main { max-width:1180px; margin:0 auto; padding:8px 24px 32px; }
        section { background:var(--paper); border:1px solid var(--line); border-radius:10px; padding:18px 22px; margin:18px 0; }
        h2 { margin:0 0 4px; font-size:20px; }
        h2 + p.lead { margin-top:0; color:var(--muted); }
        h3 { margin:0; font-size:16px; }
        code, .mono { font-family:ui-monospace,"DejaVu Sans Mono",Menlo,monospace; font-size:13px; }
        a { color:#1d4ed8; }
        .requirement { display:grid; grid-template-columns:44px 1fr; gap:14px; padding:10px 0; border-top:1px solid var(--line); }
        .requirement .body > * { margin:2px 0; }
        .requirement:first-of-type { border-top:none; }
        .mark { width:36px; height:36px; border-radius:50%; display:flex; align-items:center; justify-content:center; font-size:20px; font-weight:700; }
        .pass .mark { background:var(--good-bg); color:var(--good); } .fail .mark { background:var(--bad-bg); color:var(--bad); }
        .not_observed .mark { background:var(--unk-bg); color:var(--unk); }
        .requirement .title { font-weight:600; } .requirement .title code { color:var(--muted); font-weight:400; margin-right:8px; }
        .status { font-size:12px; font-weight:700; text-transform:uppercase; letter-spacing:.05em; margin-left:8px; }
        .pass .status { color:var(--good); } .fail .status { color:var(--bad); } .not_observed .status { color:var(--unk); }
        blockquote { margin:2px 0; padding:2px 12px; border-left:3px solid #cbd5e1; color:#475569; font-style:italic; font-size:14px; }
        .advice { background:#eff6ff; border-radius:6px; padding:6px 10px; font-size:14px; }
        .advice::before { content:"Advice  "; font-weight:700; color:#1d4ed8; }
        .requirement.pass .advice, .requirement.not_observed .advice { background:none; padding:0 0 0 1px; color:var(--muted); }
        .requirement.pass .advice::before, .requirement.not_observed .advice::before { color:var(--muted); }
        .breaks { font-size:14px; }
        .finding { border:1px solid var(--line); border-left:6px solid var(--warn); border-radius:8px; padding:12px 16px; margin:14px 0; }
        .finding.error { border-left-color:var(--bad); }
        .finding h3 .sev { font-size:12px; font-weight:700; padding:1px 8px; border-radius:4px; margin-right:8px; vertical-align:2px; }
        .finding.error .sev { background:var(--bad-bg); color:var(--bad); } .finding.warning .sev { background:var(--warn-bg); color:var(--warn); }
        .finding .qual { color:var(--muted); font-weight:400; }
        .finding .who { color:var(--muted); font-size:14px; margin:2px 0 6px; }
        .finding p { margin:6px 0; }
        .group-title { margin:18px 0 0; font-size:15px; color:var(--muted); }
        figure { margin:12px 0 4px; } figcaption { font-size:14px; color:var(--muted); margin-bottom:4px; }
        figcaption strong { color:var(--ink); }
        svg { display:block; width:100%; height:auto; }
        svg text { font:12px system-ui,-apple-system,"DejaVu Sans",sans-serif; fill:var(--ink); }
        svg .small { font-size:10.5px; fill:var(--muted); }
        svg .mono { font:11.5px ui-monospace,"DejaVu Sans Mono",monospace; }
        svg .lane-label { font-weight:600; }
        svg .halo { paint-order:stroke; stroke:#fff; stroke-width:3px; stroke-linejoin:round; }
        .legend { display:flex; flex-wrap:wrap; gap:4px 16px; font-size:13px; color:var(--muted); margin:4px 0 0; padding:0; list-style:none; }
        .legend i { display:inline-block; width:11px; height:11px; border-radius:50%; margin-right:5px; vertical-align:-1px; }
        .timeline { border-top:1px solid var(--line); padding-top:10px; margin-top:14px; }
        .more { color:var(--muted); font-style:italic; }
        table { border-collapse:collapse; width:100%; font-size:13px; }
        th, td { text-align:left; padding:4px 8px; border-bottom:1px solid var(--line); vertical-align:top; }
        th { background:#f9fafb; position:sticky; top:0; }
        table.sortable th { cursor:pointer; user-select:none; white-space:nowrap; }
        table.sortable th::after { content:" ↕"; color:#cbd5e1; }
        table.sortable th[aria-sort="ascending"]::after { content:" ↑"; color:var(--ink); }
        table.sortable th[aria-sort="descending"]::after { content:" ↓"; color:var(--ink); }
        td { white-space:nowrap; } td.num { text-align:right; font-variant-numeric:tabular-nums; }
        .scroll { max-height:520px; overflow:auto; border:1px solid var(--line); border-radius:6px; }
        .matrix td.filler { width:100%; }
        .matrix td.cell { text-align:center; font-weight:600; white-space:nowrap; }
        .cell.reached { background:var(--good-bg); color:var(--good); } .cell.blocked { background:var(--bad-bg); color:var(--bad); }
        .cell.refused { background:var(--warn-bg); color:var(--warn); } .cell.tried { background:#e0e7ff; color:#3730a3; }
        .cell.untried { background:var(--unk-bg); color:var(--unk); font-weight:400; }
        pre.summary { white-space:pre-wrap; background:#f9fafb; border:1px solid var(--line); border-radius:6px; padding:10px 12px; overflow:auto; font-size:12.5px; }
        footer { text-align:center; color:var(--muted); font-size:13px; padding:8px 0 28px; }
        @media print { body { background:#fff; } section { break-inside:avoid; } .scroll { max-height:none; } }

        """

    /// Sorts a table by the clicked header's column: numbers (`data-sort` or the cell's text) as
    /// numbers, the rest as text; a second click reverses.
    static let script = """
        document.querySelectorAll("table.sortable").forEach(function (table) {
          table.querySelectorAll("th").forEach(function (th, column) {
            th.addEventListener("click", function () {
              var ascending = th.getAttribute("aria-sort") !== "ascending";
              table.querySelectorAll("th").forEach(function (h) { h.removeAttribute("aria-sort"); });
              th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
              var body = table.tBodies[0];
              var rows = Array.prototype.slice.call(body.rows);
              function key(row) {
                var cell = row.cells[column];
                var v = cell.getAttribute("data-sort");
                if (v === null) v = cell.textContent.trim();
                return /^[-+]?[0-9]+(\\.[0-9]+)?$/.test(v) ? parseFloat(v) : v;
              }
              rows.sort(function (a, b) {
                var x = key(a), y = key(b);
                var c = (typeof x === "number" && typeof y === "number") ? x - y : String(x).localeCompare(String(y));
                return ascending ? c : -c;
              });
              rows.forEach(function (r) { body.appendChild(r); });
            });
          });
        });

        """
}
