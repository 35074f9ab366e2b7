export { createOpenApiApp } from './create-openapi-app.js';
export { openApiDocument } from './openapi-document.js';
