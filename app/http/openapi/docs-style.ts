/** The stylesheet of the `/docs` page. */
export const DOCS_STYLE = `
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, sans-serif; color: #1d2330; background: #f6f7f9; }
header { position: sticky; top: 0; z-index: 2; display: flex; gap: 16px; align-items: center;
  padding: 8px 16px; background: #1d2330; color: #fff; }
header h1 { font-size: 18px; margin: 0; }
header label { margin-left: auto; }
header input { width: 320px; }
header a { color: #9cc3ff; }
#layout { display: grid; grid-template-columns: 340px 1fr; }
nav { position: sticky; top: 44px; height: calc(100vh - 44px); overflow: auto; padding: 8px;
  border-right: 1px solid #dde1e7; background: #fff; }
nav input { width: 100%; margin-bottom: 8px; }
nav h3 { font-size: 13px; margin: 12px 0 4px; text-transform: uppercase; color: #5b6475; }
nav a { display: block; padding: 2px 4px; color: inherit; text-decoration: none; font-size: 12px;
  white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
nav a:hover { background: #eef2f8; }
main { padding: 16px 24px; min-width: 0; }
section.tag > h2 { border-bottom: 2px solid #dde1e7; padding-bottom: 4px; }
.op { background: #fff; border: 1px solid #dde1e7; border-radius: 6px; margin: 12px 0; }
.op > summary { cursor: pointer; padding: 8px 12px; display: flex; gap: 10px; align-items: baseline; }
.op > div { padding: 0 12px 12px; }
.method { display: inline-block; min-width: 60px; text-align: center; border-radius: 4px;
  padding: 1px 6px; font: bold 12px monospace; color: #fff; }
.get { background: #2f7de1; } .post { background: #2e9d5b; } .put { background: #c9861a; }
.patch { background: #8a5cd1; } .delete { background: #d14343; }
.path { font-family: monospace; font-weight: 600; word-break: break-all; }
.summary { color: #5b6475; }
table { border-collapse: collapse; width: 100%; margin: 4px 0 8px; }
th, td { text-align: left; border-bottom: 1px solid #eceff3; padding: 3px 6px; vertical-align: top; }
code, pre, textarea, .schema { font-family: ui-monospace, monospace; font-size: 12px; }
pre { background: #f1f3f6; padding: 8px; overflow: auto; max-height: 400px; }
.schema ul { list-style: none; margin: 0; padding-left: 16px; border-left: 1px dotted #c5cbd5; }
.req { color: #d14343; }
.type { color: #2e6a9d; }
.muted { color: #7b8494; }
.status { font-weight: bold; font-family: monospace; }
.try { border-top: 1px dashed #dde1e7; margin-top: 8px; padding-top: 8px; }
.try label { display: block; margin: 4px 0; }
.try input[type=text] { width: 360px; }
.try textarea { width: 100%; height: 140px; }
`;
