import { DOCS_SCRIPT } from './docs-script.js';
import { DOCS_STYLE } from './docs-style.js';

/**
 * The `/docs` page: an empty shell whose inline script fetches /openapi.json and renders it,
 * grouped by tag, with a "try it" form per operation. Nothing is loaded from elsewhere (the
 * server may have no internet, and the page must not leak tokens to a CDN).
 */
export function docsPage(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Slipway API reference</title>
<style>${DOCS_STYLE}</style>
</head>
<body>
<header>
  <h1>Slipway API</h1>
  <span id="version"></span>
  <label>Bearer token <input id="token" type="password" autocomplete="off" placeholder="admin token, slw_... or JWT"></label>
  <a href="openapi.json">openapi.json</a>
</header>
<div id="layout">
  <nav><input id="filter" type="search" placeholder="Filter routes"><div id="toc"></div></nav>
  <main id="content"><p>Loading openapi.json&hellip;</p></main>
</div>
<script>${DOCS_SCRIPT}</script>
</body>
</html>`;
}
