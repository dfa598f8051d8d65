extension Dashboard {
    /// The stylesheet: the system's own fonts (nothing to fetch), light or dark as the system prefers, one
    /// column below 760 px.
    static let css = #"""
        :root {
          color-scheme: light dark;
          --bg: #f4f5f7; --card: #fff; --fg: #1d2430; --muted: #5c6675; --line: #d8dce3;
          --accent: #1f5fbf; --accent-fg: #fff; --ok: #17753a; --bad: #b3261e; --wait: #8a6d00;
          --ok-bg: #e3f4e8; --bad-bg: #fbe7e5; --wait-bg: #fbf3d6; --code-bg: #f0f2f5;
        }
        @media (prefers-color-scheme: dark) {
          :root {
            --bg: #14171c; --card: #1d2129; --fg: #e4e7ec; --muted: #9aa3b1; --line: #343a46;
            --accent: #6ea2f0; --accent-fg: #0d1117; --ok: #6fd08e; --bad: #f28b82; --wait: #e3c25b;
            --ok-bg: #1d3326; --bad-bg: #3b1f1d; --wait-bg: #3a3118; --code-bg: #252a33;
          }
        }
        * { box-sizing: border-box; }
        body {
          margin: 0; background: var(--bg); color: var(--fg);
          font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", sans-serif;
        }
        [hidden] { display: none !important; }
        h1 { font-size: 1.15rem; margin: 0; }
        h2 { font-size: 1.1rem; margin: 0 0 .6rem; }
        h3 { font-size: .95rem; margin: 1rem 0 .4rem; color: var(--muted); }
        code, pre { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: .85rem; }
        .bar {
          display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: center; justify-content: space-between;
          padding: .7rem 1.2rem; background: var(--card); border-bottom: 1px solid var(--line);
        }
        .who { display: flex; gap: .6rem; align-items: center; color: var(--muted); }
        .who strong { color: var(--fg); }
        main { max-width: 1200px; margin: 0 auto; padding: 1rem; display: grid; gap: 1rem; }
        #app { display: grid; gap: 1rem; grid-template-columns: minmax(0, 1fr); }
        .top { display: grid; gap: 1rem; grid-template-columns: 3fr 2fr; }
        .card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 1rem 1.2rem; }
        label { display: block; font-weight: 600; margin-bottom: .3rem; }
        .row { display: flex; flex-wrap: wrap; gap: .5rem; }
        .row input { flex: 1 1 16rem; min-width: 0; }
        input[type=text], input[type=password], input[type=number], textarea, select {
          font: inherit; padding: .45rem .6rem; border: 1px solid var(--line); border-radius: 6px;
          background: var(--bg); color: var(--fg);
        }
        textarea { width: 100%; resize: vertical; }
        select { max-width: 100%; }
        #job-form > input { width: 100%; }
        #job-form label { margin-top: .5rem; }
        #job-form .hint { margin: .2rem 0 0; }
        .inline { display: flex; flex-wrap: wrap; gap: .3rem .6rem; align-items: center; margin-top: .7rem; }
        .inline label { margin: 0; }
        .inline select { flex: 1 1 10rem; min-width: 0; }
        .split { display: grid; gap: 1rem 1.5rem; grid-template-columns: 2fr 3fr; }
        #job-form .row input { flex: 0 1 8rem; }
        .recent li[aria-current=true] > button { font-weight: 600; }
        .split h3:first-child { margin-top: 0; }
        .filters { display: flex; flex-wrap: wrap; gap: .6rem; align-items: end; margin: .8rem 0 0; }
        .filters input { width: 7rem; }
        button {
          font: inherit; padding: .45rem .9rem; border-radius: 6px; border: 1px solid var(--accent);
          background: var(--accent); color: var(--accent-fg); cursor: pointer;
        }
        button.quiet { background: transparent; color: var(--accent); }
        button.link {
          border: 0; background: none; padding: 0; color: var(--accent); text-align: left; text-decoration: underline;
          overflow-wrap: anywhere;
        }
        button:disabled { opacity: .55; cursor: default; }
        :focus-visible { outline: 2px solid var(--accent); outline-offset: 2px; }
        .hint { color: var(--muted); font-size: .88rem; margin: .5rem 0 0; }
        .message { margin: .6rem 0 0; min-height: 1em; overflow-wrap: anywhere; }
        .message:empty { display: none; }
        .error { color: var(--bad); }
        .drop {
          border: 2px dashed var(--line); border-radius: 8px; padding: 1rem; text-align: center;
          display: grid; gap: .5rem; justify-items: center;
        }
        .drop p { margin: 0; }
        .drop.over { border-color: var(--accent); background: var(--code-bg); }
        .drop label { font-weight: normal; color: var(--muted); margin: 0; }
        .drop input { max-width: 100%; }
        .rejected { margin: .4rem 0 0; padding-left: 1.2rem; color: var(--bad); overflow-wrap: anywhere; }
        .recent { list-style: none; margin: 0; padding: 0; display: grid; gap: .3rem; }
        .recent small { color: var(--muted); margin-left: .4rem; }
        .meta { color: var(--muted); margin: 0 0 .6rem; overflow-wrap: anywhere; }
        .progress { display: flex; gap: .6rem; align-items: center; }
        progress { flex: 1; height: 1rem; accent-color: var(--accent); }
        .counts { display: flex; flex-wrap: wrap; gap: .5rem; margin: .6rem 0 0; }
        .counts div { border: 1px solid var(--line); border-radius: 6px; padding: .3rem .7rem; min-width: 6rem; }
        .counts dt { font-size: .8rem; color: var(--muted); }
        .counts dd { margin: 0; font-size: 1.2rem; font-weight: 600; }
        .columns { display: grid; grid-template-columns: minmax(12rem, 1fr) 3fr; gap: 0 1.5rem; }
        .scroll { max-height: 28rem; overflow: auto; }
        table { border-collapse: collapse; width: 100%; }
        th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
        th { font-size: .8rem; color: var(--muted); font-weight: 600; }
        td.n, th.n { text-align: right; }
        tr[aria-current=true] { background: var(--code-bg); }
        .badge { display: inline-block; border-radius: 999px; padding: 0 .55rem; font-size: .8rem; font-weight: 600; }
        .badge.parsed { background: var(--ok-bg); color: var(--ok); }
        .badge.failed { background: var(--bad-bg); color: var(--bad); }
        .badge.queued { background: var(--wait-bg); color: var(--wait); }
        .badge.scored { background: var(--ok-bg); color: var(--ok); }
        .badge.pending, .badge.stale { background: var(--wait-bg); color: var(--wait); }
        .badge.stale { margin-left: .3rem; }
        td small, .recent small { color: var(--muted); }
        td small { display: block; overflow-wrap: anywhere; }
        .score { margin: 0; font-size: 2rem; font-weight: 700; line-height: 1.1; }
        .score small { font-size: 1rem; color: var(--muted); font-weight: 400; }
        .subscores { display: grid; grid-template-columns: max-content minmax(4rem, 1fr) max-content; gap: .25rem .7rem;
          align-items: center; margin: 0; }
        .subscores dt { color: var(--muted); }
        .subscores dd { margin: 0; display: contents; }
        meter { width: 100%; }
        .reasons { margin: 0; padding-left: 1.4rem; display: grid; gap: .45rem; }
        .reasons q { display: block; color: var(--muted); font-size: .88rem; overflow-wrap: anywhere; }
        .reasons small { color: var(--muted); margin-left: .3rem; }
        mark { background: var(--wait-bg); color: inherit; border-bottom: 2px solid var(--wait); border-radius: 2px; }
        mark.current { background: var(--accent); color: var(--accent-fg); border-color: var(--accent); }
        .dup { color: var(--muted); font-size: .8rem; margin-left: .3rem; }
        .pager { display: flex; gap: .5rem; margin-top: .5rem; }
        .document { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 1.5rem; }
        .fields dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem .8rem; margin: 0; }
        .fields dt { color: var(--muted); }
        .fields dd { margin: 0; overflow-wrap: anywhere; }
        .fields ul { margin: .2rem 0; padding-left: 1.2rem; }
        .entry { border-left: 3px solid var(--line); padding: .1rem 0 .1rem .7rem; margin: .5rem 0; }
        .entry .when { color: var(--muted); font-size: .88rem; }
        .entry p { margin: .2rem 0; }
        .chips { display: flex; flex-wrap: wrap; gap: .3rem; list-style: none; padding: 0 !important; }
        .chips li { background: var(--code-bg); border-radius: 4px; padding: .05rem .45rem; font-size: .88rem; }
        pre {
          margin: 0; padding: .7rem; background: var(--code-bg); border-radius: 6px; max-height: 36rem;
          overflow: auto; white-space: pre-wrap; overflow-wrap: anywhere;
        }
        @media (max-width: 760px) {
          main { padding: .6rem; }
          .top, .columns, .document, .split { grid-template-columns: minmax(0, 1fr); }
          .card { padding: .8rem; }
        }

        """#
}
