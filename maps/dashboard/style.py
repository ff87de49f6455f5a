"""The dashboards' stylesheet, inlined in every page (no request for it)."""

CSS = """
:root { --ink: #1d2733; --muted: #5b6b7c; --line: #dde3ea; --bg: #f4f6f9; --card: #fff;
        --blue: #2f6db5; --green: #23744a; --amber: #c98a00; --red: #c0392b; --grey: #8a97a6; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: var(--bg);
       font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
header { background: #1f3b5c; color: #fff; padding: 14px 24px 12px; }
header a { color: #cfe0f5; text-decoration: none; font-size: 13px; }
header h1 { margin: 4px 0 2px; font-size: 22px; font-weight: 600; }
header p { margin: 0; color: #cfd9e4; font-size: 13px; }
main { padding: 16px 24px 32px; max-width: 1400px; margin: 0 auto; }
.kpis { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 10px;
        margin-bottom: 16px; }
.kpi { background: var(--card); border: 1px solid var(--line); border-radius: 6px;
       padding: 10px 12px; }
.kpi b { display: block; font-size: 21px; font-weight: 600; margin-top: 2px; }
.kpi span { color: var(--muted); font-size: 12px; text-transform: uppercase;
            letter-spacing: .03em; }
.kpi small { display: block; color: var(--muted); font-size: 12px; }
.grid { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 16px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 6px;
        padding: 12px 16px; min-width: 0; }
.card.wide { grid-column: 1 / -1; }
.card h2 { font-size: 15px; margin: 0 0 10px; font-weight: 600; }
.map iframe { width: 100%; height: 380px; border: 0; border-radius: 4px; background: #eef2f6; }
svg.chart { width: 100%; height: auto; display: block; }
.empty { color: var(--muted); font-style: italic; margin: 8px 0; }
.goal { margin: 0 0 10px; }
.goal .head { display: flex; justify-content: space-between; gap: 8px; font-size: 13px; }
.goal .head em { font-style: normal; color: var(--muted); }
.bar { position: relative; height: 10px; background: #e8edf2; border-radius: 5px;
       margin-top: 4px; overflow: hidden; }
.bar > span { position: absolute; left: 0; top: 0; bottom: 0; border-radius: 5px;
              background: var(--blue); }
.bar > i { position: absolute; top: -2px; bottom: -2px; width: 2px; background: var(--ink);
           opacity: .55; }
.status { display: inline-block; padding: 0 7px; border-radius: 9px; font-size: 11px;
          color: #fff; white-space: nowrap; }
.status.met { background: var(--green); } .status.on-track { background: var(--blue); }
.status.behind { background: var(--red); } .status.no-data { background: var(--grey); }
.bar.met > span { background: var(--green); } .bar.behind > span { background: var(--red); }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
.scroll { overflow-x: auto; }
/* A table wider than its card: a shadow at the edge that hides columns says
   there is more (the white covers scroll with the table; the shadows stay). */
.scroll { background:
    linear-gradient(to right, var(--card) 30%, transparent) left / 32px 100% no-repeat local,
    linear-gradient(to left, var(--card) 30%, transparent) right / 32px 100% no-repeat local,
    radial-gradient(farthest-side at 0 50%, rgba(0,0,0,.2), transparent) left / 10px 100% no-repeat,
    radial-gradient(farthest-side at 100% 50%, rgba(0,0,0,.2), transparent) right / 10px 100% no-repeat; }
@media (max-width: 600px) {  /* the cell spans every day: wrap it where a phone shows it */
  .unplanned td > span { display: inline-block; max-width: 60vw; white-space: normal; } }
/* 24 px high at least: WCAG 2.2 target size (2.5.8); the 12 px text alone made 17. */
a.csv { display: inline-block; margin: 6px 0 0; font-size: 12px; min-height: 24px;
        line-height: 24px; padding: 0 4px; }
.sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0);
      white-space: nowrap; }
.goal-form { margin-top: 12px; border-top: 1px solid var(--line); padding-top: 8px; }
.goal-form summary { cursor: pointer; font-weight: 600; color: var(--blue); }
.goal-form fieldset { border: 0; padding: 0; margin: 8px 0; }
.goal-form legend { font-size: 12px; color: var(--muted); font-weight: 600; padding: 0; }
.goal-row { display: flex; flex-wrap: wrap; align-items: center; gap: 4px 8px; margin: 4px 0; }
.goal-row label { flex: 1 1 12rem; font-size: 13px; }
.goal-row input { flex: 0 1 9rem; min-width: 0; padding: 4px 6px; font: inherit;
                  border: 1px solid #8a97a6; border-radius: 4px; }
.goal-row.product input[name=product] { flex: 1 1 9rem; }
.goal-row.product label:first-child { flex: 0 0 5rem; }
.goal-form [aria-invalid] { border-color: var(--red); }
.field-error { flex-basis: 100%; color: var(--red); font-size: 12px; }
.goal-form button { font: inherit; padding: 5px 14px; border: 0; border-radius: 4px;
                    background: var(--blue); color: #fff; cursor: pointer; }
#goals-status.error { color: var(--red); }
.goal-form .hint { color: var(--muted); font-size: 12px; margin: 4px 0 0; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line);
         vertical-align: top; }
th { color: var(--muted); font-weight: 600; font-size: 12px; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
.attention h3 { font-size: 13px; margin: 12px 0 4px; }
.attention h3:first-of-type { margin-top: 0; }
.three { display: grid; grid-template-columns: repeat(3, minmax(0, 1fr)); gap: 16px; }
a { color: var(--blue); }
table.team td { white-space: nowrap; }
table.team small { color: var(--muted); }
table.team td.free { color: var(--muted); }
table.team .over, table.team [data-over] { color: var(--red); font-weight: 600; }
details.unplaced { margin-top: 8px; font-size: 13px; }
details.unplaced summary { cursor: pointer; }
@media (max-width: 900px) { .grid, .three { grid-template-columns: 1fr; } }
@media (max-width: 600px) { main { padding: 12px 10px 24px; } header { padding: 12px 12px 10px; } }
"""
