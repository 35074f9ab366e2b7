/** The dashboard's whole stylesheet, inlined in every page: no external assets. */
export const STYLES = `
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2328;background:#f6f8fa}
header{display:flex;align-items:center;gap:1rem;padding:.6rem 1.5rem;background:#24292f;color:#fff}
header a{color:#fff;text-decoration:none;font-weight:600}
header form{margin-left:auto}
main{max-width:1200px;margin:0 auto;padding:1rem 1.5rem 3rem}
h1{font-size:1.4rem;margin:.5rem 0 1rem}
h2{font-size:1.1rem;margin:1.6rem 0 .5rem}
a{color:#0969da}
table{width:100%;border-collapse:collapse;background:#fff;border:1px solid #d0d7de}
th,td{text-align:left;padding:.4rem .6rem;border-bottom:1px solid #d0d7de;vertical-align:top}
th{background:#eaeef2;font-weight:600}
td.num,th.num{text-align:right}
code,pre,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
pre#log{background:#0d1117;color:#e6edf3;padding:.8rem;border-radius:6px;overflow:auto;max-height:70vh;white-space:pre-wrap;word-break:break-all}
#message{white-space:pre-wrap;overflow-wrap:anywhere}
.pending-deploy{margin-top:.2rem}details.drift{margin-top:.2rem}details.drift summary{cursor:pointer}details.drift ul{margin:.3rem 0 0;padding-left:1.1rem;font-size:12px}details.paused{margin-top:.2rem}details.paused summary{cursor:pointer}details.paused p{margin:.3rem 0 0;font-size:12px}
.pager{display:flex;gap:1rem;margin-top:.5rem}
.badge{display:inline-block;padding:.05rem .5rem;border-radius:1rem;font-size:12px;font-weight:600;color:#fff;background:#6e7781}
.b-green{background:#1a7f37}.b-red{background:#cf222e}.b-blue{background:#0969da}.b-grey{background:#6e7781}.b-amber{background:#9a6700}
.muted{color:#59636e}
.empty{padding:.8rem;background:#fff;border:1px dashed #d0d7de;color:#59636e}
.bar{display:flex;min-width:16rem;height:1.4rem;border-radius:4px;overflow:hidden;border:1px solid #d0d7de;font-size:12px;color:#fff}
.bar span{display:flex;align-items:center;justify-content:center;white-space:nowrap;overflow:hidden}
.bar .active{background:#0969da}.bar .candidate{background:#8250df}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem;background:#fff;border:1px solid #d0d7de;padding:.8rem}
dt{font-weight:600}dd{margin:0}
form.login{max-width:28rem;background:#fff;border:1px solid #d0d7de;padding:1.2rem;border-radius:6px}
label{display:block;font-weight:600;margin-bottom:.3rem}
input[type=password]{width:100%;padding:.45rem;font:inherit;border:1px solid #8c959f;border-radius:4px}
button{font:inherit;padding:.35rem .9rem;border-radius:4px;border:1px solid #8c959f;background:#f6f8fa;cursor:pointer}
header button{background:transparent;color:#fff;border-color:#8c959f}
.error{color:#cf222e;background:#ffebe9;border:1px solid #ff8182;padding:.5rem .7rem;border-radius:4px}
`;
