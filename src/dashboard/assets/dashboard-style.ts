/** The dashboard's stylesheet (served from /dashboard/_assets/dashboard.css): readable on a phone, tables become cards. */
export const DASHBOARD_STYLE = `*{box-sizing:border-box}
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1f2328;background:#f6f8fa}
a{color:#0969da;text-decoration:none}a:hover{text-decoration:underline}
.top{display:flex;align-items:center;justify-content:space-between;gap:1rem;padding:.6rem 1.25rem;background:#24292f;color:#fff}
.top a.brand{color:#fff;font-weight:700;font-size:1.1rem}
.user{display:flex;align-items:center;gap:.75rem}.user form{margin:0}
button.link{background:none;border:0;color:#d0d7de;padding:0;font:inherit;cursor:pointer;text-decoration:underline}
.crumbs{padding:.6rem 1.25rem;font-size:.9rem;color:#59636e}.crumbs .sep{margin:0 .4rem;color:#8c959f}
main{max-width:80rem;margin:0 auto;padding:.5rem 1.25rem 3rem}
h1{font-size:1.5rem;margin:.5rem 0 1rem;word-break:break-word}h2{font-size:1.15rem;margin:.25rem 0 .75rem}
.heading{display:flex;flex-wrap:wrap;align-items:center;justify-content:space-between;gap:.75rem}
.card{background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:1rem 1.25rem;margin:1rem 0}
.center{max-width:32rem;margin:3rem auto;text-align:center}
.button,button{display:inline-block;font:inherit;font-weight:600;background:#1f883d;color:#fff;border:0;border-radius:6px;padding:.45rem .9rem;cursor:pointer}
.button:hover,button:hover{filter:brightness(1.08);text-decoration:none}
.button.secondary{background:#fff;color:#24292f;border:1px solid #d0d7de}
button.danger{background:#cf222e}
.actions{display:flex;flex-wrap:wrap;gap:.5rem}form.inline{display:inline;margin:0}
.list{list-style:none;padding:0;margin:0;background:#fff;border:1px solid #d0d7de;border-radius:8px}
.list li{padding:.75rem 1rem;border-top:1px solid #d8dee4}.list li:first-child{border-top:0}
.grid{width:100%;border-collapse:collapse;background:#fff;border:1px solid #d0d7de;border-radius:8px;overflow:hidden}
.grid th,.grid td{text-align:left;padding:.55rem .7rem;border-top:1px solid #d8dee4;vertical-align:top}
.grid th{background:#f6f8fa;font-size:.85rem;color:#59636e;border-top:0}
.grid code,code{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,monospace;background:#f6f8fa;border-radius:4px;padding:.1rem .3rem;word-break:break-all}
.sha{font-family:ui-monospace,SFMono-Regular,Menlo,monospace}
.badge{display:inline-block;border-radius:2rem;padding:.05rem .6rem;font-size:.8rem;font-weight:600;background:#eaeef2;color:#24292f}
.badge-success{background:#dafbe1;color:#116329}.badge-failure,.badge-timed_out{background:#ffebe9;color:#a40e26}
.badge-in_progress{background:#fff8c5;color:#7d4e00}.badge-action_required{background:#ddf4ff;color:#0550ae}
.tag{display:inline-block;font-size:.75rem;border:1px solid #d0d7de;border-radius:2rem;padding:0 .45rem;color:#59636e}.tag.live{border-color:#1a7f37;color:#1a7f37}
.muted{color:#59636e}.notice{background:#ddf4ff;border:1px solid #54aeff;border-radius:6px;padding:.5rem .75rem}
.live-state{font-size:.85rem}.live-state.on{color:#1a7f37}.live-state.off{color:#9a6700}
.fields{display:flex;flex-wrap:wrap;gap:.75rem}.fields label{display:flex;flex-direction:column;font-size:.85rem;color:#59636e;flex:1 1 12rem}
input,select{font:inherit;padding:.4rem .5rem;border:1px solid #d0d7de;border-radius:6px;background:#fff;color:#1f2328}
tr.flash td{animation:flash 1.5s ease-out}@keyframes flash{from{background:#fff8c5}to{background:transparent}}
@media (max-width:720px){
main{padding:.25rem .75rem 2rem}.top{padding:.6rem .75rem}.crumbs{padding:.5rem .75rem}
.grid,.grid tbody,.grid tr,.grid td{display:block;width:100%}.grid thead{display:none}
.grid{border:0;background:none}.grid tr{background:#fff;border:1px solid #d0d7de;border-radius:8px;margin:0 0 .75rem;padding:.35rem 0}
.grid td{border:0;padding:.25rem .75rem;display:flex;flex-wrap:wrap;align-items:center;gap:.4rem;justify-content:flex-end;text-align:right}
.grid td::before{content:attr(data-label);color:#59636e;font-size:.85rem;text-align:left;flex:0 0 auto;margin-right:auto}
.grid td:empty{display:none}
}`;
