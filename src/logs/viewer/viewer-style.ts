/** Stylesheet of the log viewer (served at /logs/_assets/viewer.css). */
const ANSI_COLOURS: Record<number, string> = {
  30: '#484f58', 31: '#ff7b72', 32: '#3fb950', 33: '#d29922', 34: '#58a6ff', 35: '#bc8cff', 36: '#39c5cf', 37: '#b1bac4',
  90: '#6e7681', 91: '#ffa198', 92: '#56d364', 93: '#e3b341', 94: '#79c0ff', 95: '#d2a8ff', 96: '#56d4dd', 97: '#ffffff',
};

const ansiRules = Object.entries(ANSI_COLOURS)
  .map(([code, colour]) => {
    const bg = Number(code) + 10; // 40-47 and 100-107
    return `.ansi-${code}{color:${colour}}.ansi-${bg}{background-color:${colour}}`;
  })
  .join('\n');

export const VIEWER_STYLE = `
:root{color-scheme:dark;--bg:#0d1117;--fg:#c9d1d9;--muted:#8b949e;--bar:#161b22;--line:#30363d;--link:#58a6ff}
*{box-sizing:border-box}
html,body{margin:0;background:var(--bg);color:var(--fg)}
body{font:13px/1.5 ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace}
.bar{position:sticky;top:0;z-index:2;display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center;padding:.6rem 1rem;
  background:var(--bar);border-bottom:1px solid var(--line);font-family:system-ui,-apple-system,"Segoe UI",sans-serif;font-size:14px}
.bar a{color:var(--link);text-decoration:none}.bar a:hover{text-decoration:underline}
.bar code{font-family:inherit;color:var(--muted)}
.title strong{font-weight:600}
.badge{display:inline-block;padding:.15rem .6rem;border-radius:1rem;font-size:12px;font-weight:700;text-transform:uppercase;
  letter-spacing:.04em;color:#fff;background:#6e7681}
.badge-building{background:#9e6a03}.badge-deployed{background:#238636}.badge-failed{background:#da3633}.badge-cancelled{background:#484f58}
.conn{margin-left:auto;color:var(--muted);font-size:12px}
.log{padding:.5rem 0 3rem;counter-reset:none}
.blk{content-visibility:auto;contain-intrinsic-size:auto 9750px}
.ln{display:flex;white-space:pre-wrap;overflow-wrap:anywhere;padding-right:1rem;min-height:1.5em}
.ln:hover{background:#161b22}
.no{flex:0 0 5.5em;text-align:right;padding-right:1em;color:#6e7681;user-select:none}
.ts{flex:0 0 auto;padding-right:1em;color:#484f58;user-select:none}
.tx{flex:1 1 auto;min-width:0}
.src-worker .tx{color:#a5d6ff}
.src-run .no{box-shadow:inset -2px 0 0 #388bfd}
.ansi-bold{font-weight:700}.ansi-dim{opacity:.7}.ansi-italic{font-style:italic}.ansi-underline{text-decoration:underline}
${ansiRules}
.follow{position:fixed;right:1.5rem;bottom:1.5rem;padding:.45rem .9rem;border:1px solid var(--line);border-radius:1rem;
  background:var(--bar);color:var(--fg);font:600 13px system-ui,sans-serif;cursor:pointer}
.follow:hover{border-color:var(--link)}
[hidden]{display:none!important}
`;
