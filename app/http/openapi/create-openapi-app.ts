import { Hono } from 'hono';
import { docsPage } from './docs-page.js';
import { openApiDocument } from './openapi-document.js';

/**
 * `GET /openapi.json` (the OpenAPI 3.1 document of every route) and `GET /docs` (a reference
 * page, self-contained: it loads nothing but /openapi.json). Both are public.
 */
export function createOpenApiApp() {
  const app = new Hono();
  const document = openApiDocument();
  const page = docsPage();
  app.get('/openapi.json', (c) => c.json(document));
  app.get('/docs', (c) => {
    c.header(
      'Content-Security-Policy',
      "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'",
    );
    return c.html(page);
  });
  return app;
}
