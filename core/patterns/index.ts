export {
  type DefinitionFilter,
  type DefinitionView,
  PatternCatalog,
  type PatternView,
} from './pattern-catalog.js';
export {
  DEFINITION_TYPES,
  type DefinitionType,
  type DeploymentDefinition,
  definitionSchema,
  type PatternFile,
  parsePatternFile,
} from './pattern-file.js';
export { type Template, type TemplateKind, TemplateLibrary } from './template-library.js';
