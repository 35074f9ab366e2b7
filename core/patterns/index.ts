export { type Template, type TemplateKind, TemplateLibrary } from './template-library.js';
